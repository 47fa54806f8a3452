"""The five parts of a story arc, as the offline writer fills them: per part its light, its weather, its mood,
and a handful of beats (a title, what happens, what an illustration of it shows).

Placeholders: {hero} {hero_full} {ally} {ally_full} {rival} {place} {second_place} {thing} {was}
{title}; in titles the *_title forms are title-cased. Sentences are capitalised after filling.
Every paragraph names someone or somewhere of the story, so two stories never share one; none repeats the writer's
prompt (the story is told from it, not pasted from it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    opening = "opening"
    rising_action = "rising_action"
    turn = "turn"
    climax = "climax"
    resolution = "resolution"


@dataclass(frozen=True)
class Beat:
    titles: tuple[str, ...]
    text: str
    image: str


@dataclass(frozen=True)
class Part:
    view: str
    mood: str
    times: tuple[str, ...]
    weathers: tuple[str, ...]
    settings: tuple[str, ...]
    beats: tuple[Beat, ...]
    bridges: tuple[str, ...]
    at_second_place: bool


ENDINGS = (
    "And that is where this story ends: not with a bang, but with a door in {place} standing open and the kettle on.",
    "If you go to {place} today you can still find the spot. Ask anyone; they will point the way.",
    "Some stories end with a wedding or a crown. This one ended with {hero} asleep in a chair in {place}, "
    "{thing} within reach, and nobody at all in a hurry.",
)

ARC: dict[Stage, Part] = {
    Stage.opening: Part(
        view="Wide establishing view",
        mood="quiet, curious, hopeful",
        times=("at dawn", "early in the morning", "at sunrise"),
        weathers=("a clear sky", "a light mist", "a thin frost on every surface"),
        settings=(
            "{time}, {place} was still half asleep. There was {weather}, and the smell of bread and wet stone "
            "drifted along the lanes.",
            "{time}, the light came slowly over {place}, with {weather} lying across everything like a held breath.",
            "{time}, nothing in {place} hurried. Under {weather}, doors opened one by one and the day began the way "
            "it always did.",
        ),
        beats=(
            Beat(
                ("An Ordinary Morning in {place_title}", "Before Anything Happened", "The Last Quiet Day"),
                "{hero_full} had lived in {place} long enough to know its sounds by heart, and this morning one of "
                "them was wrong. It had to do with {thing}; {hero} was sure of that much. Nobody else seemed to "
                "notice that anything had changed, and for a while {hero} almost believed it too.",
                "{hero} standing alone at the edge of {place}",
            ),
            Beat(
                ("{thing_title}", "What {hero} Found", "The First Sign"),
                "It was {ally} who first pointed at {thing}. {hero} turned it over in both hands, feeling the weight "
                "of it, and understood that it did not belong to an ordinary day. Somewhere behind it, {place} was "
                "keeping a secret.",
                "{hero} holding {thing} up to the light in {place}",
            ),
            Beat(
                ("A Question Without an Answer", "The Call", "Word from {second_place_title}"),
                "The news came plainly enough, and it was about {thing}. {hero} read it twice, then a third time, "
                "while the kettle went cold. {ally_full} said what anyone would say, that it was none of their "
                "business, but {hero} was already looking toward {second_place}.",
                "{hero} at a window in {place}, looking out toward {second_place}",
            ),
            Beat(
                ("A Promise Made", "The Morning {hero} Said Yes"),
                "{hero} had made promises before and broken a few of them. This one felt different. Standing in "
                "{place} with {thing} close at hand, {hero} said the words aloud, so there could be no taking them "
                "back, and {ally} heard them.",
                "{hero} and {ally} shaking hands in {place}, {thing} between them",
            ),
        ),
        bridges=(
            "By nightfall {hero} had packed a bag, unpacked it, and packed it again. Tomorrow, it would start.",
            "{hero} did not sleep much that night. {thing} sat on the table where it could be seen from the bed, "
            "like a question that would still be there in the morning.",
            "When the lamps were lit, {ally} came by with a map and a worried face. Neither of them said it, but "
            "both knew the ordinary days were over.",
        ),
        at_second_place=False,
    ),
    Stage.rising_action: Part(
        view="Travelling view",
        mood="restless, determined",
        times=("in the afternoon", "at midday", "under a high sun"),
        weathers=("a steady wind", "a sky full of drifting cloud", "dust on the wind"),
        settings=(
            "{time}, with {weather}, the way from {place} toward {second_place} stretched out longer than any map "
            "had promised.",
            "{time}, {place} was far behind them. There was {weather}, and every mile asked for a little more than "
            "the last.",
            "{time} the road climbed, dipped and climbed again, and {weather} followed them all the way to the "
            "outskirts of {second_place}.",
        ),
        beats=(
            Beat(
                ("The Long Way to {second_place_title}", "On the Road", "Miles"),
                "{hero} and {ally} set out with {thing} wrapped and carried close. The road did what roads do: it "
                "tested their patience, their boots and their friendship. By the second day they had stopped "
                "arguing about which of them had been right.",
                "{hero} and {ally} walking a winding road toward {second_place}",
            ),
            Beat(
                ("The First Refusal", "A Closed Door", "Trouble Ahead"),
                "The first sign of {rival} was small: a locked gate, a name crossed off a list, a rumour that someone "
                "had asked after {thing}. {hero} pretended not to care. {ally} pretended to believe it.",
                "{hero} in front of a tall locked gate at {second_place}",
            ),
            Beat(
                ("What {ally} Knew", "A Lesson by the Fire"),
                "{ally_full} turned out to know more than anyone had guessed. Over a small fire {ally} explained what "
                "{thing} had once meant to the people of {second_place}, and {hero} listened without interrupting, "
                "which had never happened before.",
                "{hero} and {ally} beside a small campfire near {second_place}",
            ),
            Beat(
                ("Higher Stakes", "What It Would Cost", "No Turning Back"),
                "A stranger in {second_place} told them the truth without being asked: if {thing} {was} not where it "
                "belonged by the end of the week, it would be too late. {hero} counted the days on one hand and "
                "then, reluctantly, on the other.",
                "{hero} listening to a hooded stranger in a crowded street of {second_place}",
            ),
            Beat(
                ("A Small Victory", "The Kindness of Strangers"),
                "Not everything went wrong. A family who owed them nothing offered a bed, a meal and a shortcut, and "
                "for one evening {hero} laughed so hard that {ally} had to pretend to be offended.",
                "{hero} and {ally} at a crowded table with a welcoming family near {second_place}",
            ),
        ),
        bridges=(
            "Still, they kept going. Ahead, {second_place} waited, and with it whatever {rival} had planned.",
            "That night {hero} wrote down everything that had happened so far, in case it mattered later. It did.",
            "The wind changed in the night. {hero} noticed it, and said nothing, and held {thing} a little tighter.",
        ),
        at_second_place=True,
    ),
    Stage.turn: Part(
        view="Close view",
        mood="uneasy, surprising, dark",
        times=("at dusk", "as the sun went down", "in the evening"),
        weathers=("low cloud", "a red sky", "the first rain"),
        settings=(
            "{time}, under {weather}, {second_place} did not look the way anyone had described it.",
            "{time} the colours drained out of the sky. There was {weather}, and a silence over {second_place} "
            "that felt deliberate.",
            "{time}, with {weather} gathering over {second_place}, the streets emptied faster than they should have.",
        ),
        beats=(
            Beat(
                ("What {thing_title} Really Was", "The Truth About {thing_title}"),
                "Then {hero} saw what had been there all along. {thing} {was} not what anyone had said: it was the "
                "key to something older, and {rival} had known it from the beginning. The plan they had followed so "
                "carefully had been built on a misunderstanding.",
                "{thing} revealing a hidden mark, {hero}'s face lit from below",
            ),
            Beat(
                ("Alone", "The Empty Room", "Where {ally} Went"),
                "When {hero} woke, {ally} was gone, and so was the certainty that had carried them this far. There "
                "was a note, or perhaps only the shape of one, and {hero} read it the way people read bad news: "
                "slowly, and then all at once.",
                "{hero} alone in an empty room in {second_place}, a note on the floor",
            ),
            Beat(
                ("Everything Goes Wrong", "The Wrong Door"),
                "{rival} struck where it hurt most. In one evening the road behind them closed, the road ahead "
                "divided, and {thing} slipped out of reach. {hero} sat down on the cold ground of {second_place} "
                "and, for the first time, did not know what came next.",
                "{hero} sitting on cold ground in {second_place}, {thing} out of reach",
            ),
            Beat(
                ("The Choice", "Two Roads"),
                "There were two ways forward, and both cost something. {hero} could keep {thing} and lose the "
                "reason for carrying it, or give it up and trust someone who had not earned it yet. {ally} did not "
                "offer advice. That, it turned out, was the kindest thing anyone could have done.",
                "{hero} at a fork between two dark roads outside {second_place}",
            ),
        ),
        bridges=(
            "Nothing would be simple after this. But for the first time, {hero} could see the whole shape of it.",
            "When the light came back, {hero} stood up. There was only one direction left, and it led straight "
            "through the middle.",
            "Somewhere a bell rang the hour. {hero} counted the strokes and decided that the waiting was over.",
        ),
        at_second_place=True,
    ),
    Stage.climax: Part(
        view="Low-angle dramatic view",
        mood="tense, fierce, dramatic",
        times=("at night", "past midnight", "in the dead of night"),
        weathers=("a storm", "heavy rain", "lightning across the whole sky"),
        settings=(
            "{time}, {weather} broke over {second_place}, and there was no more time to think.",
            "{time}, with {weather} hammering at everything, the last of the waiting ended for {hero}.",
            "{time}, under {weather}, {second_place} held its breath.",
        ),
        beats=(
            Beat(
                ("Face to Face", "The Reckoning at {second_place_title}", "Against {rival_title}"),
                "{hero} stood in front of {rival} at last, with {thing} held in plain sight. Everything learned on "
                "the road came back in a rush, and {hero} used all of it. It was not won with force but with a "
                "single true sentence, spoken at exactly the right moment.",
                "{hero} facing {rival} in {second_place}, holding up {thing}",
            ),
            Beat(
                ("The Last Hour", "Against the Clock"),
                "The last hour went by in pieces: running feet, a shout from {ally}, the weight of {thing} dragging "
                "at {hero}'s arms. There was one chance left, and {hero} took it without waiting to be sure.",
                "{hero} running through {second_place} with {thing}, {ally} close behind",
            ),
            Beat(
                ("What {hero} Gave Up", "The Price"),
                "To finish it, {hero} had to give up the one thing that had kept them going. It hurt exactly as "
                "much as expected. {ally} came back in time to see it, and understood, and said nothing, and stayed.",
                "{hero} letting go of {thing} on a high ledge in {second_place}",
            ),
            Beat(
                ("Into the Storm", "The Breaking Point"),
                "Everything that could break, broke. Through the noise {hero} kept moving toward the heart of "
                "{second_place}, one careful step after another, because stopping would have been easier and {hero} "
                "had decided a long time ago not to do the easy thing.",
                "{hero} bracing against the storm in {second_place}, {thing} shielded close",
            ),
        ),
        bridges=(
            "And then, as suddenly as it had started, it was over, and {second_place} was quiet.",
            "When the noise finally stopped, {hero} was still standing, and so, against every expectation, was {ally}.",
            "Later nobody could agree on how long it had lasted. A minute, said {ally}. A lifetime, said {hero}.",
        ),
        at_second_place=True,
    ),
    Stage.resolution: Part(
        view="Wide calm view",
        mood="calm, warm, peaceful",
        times=("the next morning", "at sunrise", "in the soft light of the next day"),
        weathers=("a clear sky", "washed light after the rain", "a soft haze"),
        settings=(
            "{time}, {place} looked the same and completely different. There was {weather}, and somewhere a door "
            "was propped open to let it in.",
            "{time} the world had been rinsed clean. {weather} lay over {place}, and people were out in the streets "
            "again.",
            "{time}, under {weather}, the road back to {place} was shorter than it had ever been.",
        ),
        beats=(
            Beat(
                ("Home Again", "The Way Back to {place_title}"),
                "They came back to {place} slower than they had left it. {thing} {was} where it belonged now, and "
                "nobody had to be told; you could see it in the way people stood a little straighter.",
                "{hero} and {ally} walking home into {place}, people waving",
            ),
            Beat(
                ("After", "What Changed", "Morning in {place_title}"),
                "Life did not become perfect. It became possible, which is better. {ally} opened the shutters each "
                "morning, {hero} swept the step, and the memory of {rival} shrank to the size of a story told to "
                "children.",
                "{hero} sweeping a doorstep in {place} in morning sun",
            ),
            Beat(
                ("{title}", "How the Story Was Told"),
                "Years later, when people told it, they called it {title}. They got the details wrong, the way people "
                "do. {hero} never corrected them, except once, to say that it had not been courage at all, only the "
                "decision, made again every morning, to keep going.",
                "an older {hero} telling the story to children in {place}",
            ),
            Beat(
                ("A Gift for {ally}", "The Last Page"),
                "On the last evening {hero} gave {ally} something small: not {thing}, which belonged to everyone now, "
                "but a note that said thank you in four plain words. {ally} kept it for the rest of their life.",
                "{hero} handing {ally} a folded note on a quiet porch in {place}",
            ),
        ),
        bridges=(
            "The days in {place} grew ordinary again, and ordinary had never felt so good to {hero}.",
            "{hero} still walks past the old places sometimes, just to be sure they are there.",
        ),
        at_second_place=False,
    ),
}

ORDER = tuple(Stage)


def stages_for(scene_count: int) -> list[tuple[Stage, ...]]:
    """Which parts of the arc each scene tells: five or more scenes share the parts out; fewer fold them together."""
    o, r, t, c, e = ORDER
    folded: dict[int, list[tuple[Stage, ...]]] = {
        1: [(o, c, e)],
        2: [(o, r), (c, e)],
        3: [(o,), (r, t), (c, e)],
        4: [(o,), (r,), (t, c), (e,)],
    }
    if scene_count in folded:
        return folded[scene_count]
    return [(ORDER[index * len(ORDER) // scene_count],) for index in range(scene_count)]
