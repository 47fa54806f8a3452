"""The two doors between Qt and asyncio (QtCore only, no widgets)."""
