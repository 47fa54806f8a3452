"""The library on the left: the list of stories, how a row is painted, and its search."""
