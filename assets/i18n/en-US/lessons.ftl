# lessons
# The lessons window. The lessons' own text (titles, summaries, steps,
# the checks' machine syntax) comes from the lesson files, not from here.

lessons-window-title = Lessons
lessons-choose = Choose a lesson
lessons-folder = Lessons are read from { $folder }; add a .toml file there to write your own.
# A lesson that is not (yet) in the app's language; $language is its
# language's name (lessons-language-en, lessons-language-zh, or a tag).
lessons-not-translated = This lesson is not yet translated into English; it is shown in { $language }.
lessons-language-en = English
lessons-language-zh = Simplified Chinese
lessons-step-heading = Step { $step } of { $count }: { $title }
lessons-watch = Watch
lessons-do = Do
lessons-expect = What should happen
lessons-why = Why
lessons-back = ◀ Back
lessons-restart-step = Restart this step
lessons-next = Next ▶

## The step's checks on the running session
lessons-checks-header = Checks on this run: { $passed } passed, { $failed } failed, { $waiting } waiting
lessons-checks-explained = Claims of this step the lab verifies on the running network; `lessons --verify` checks them over ten seeds.
lessons-checks-waiting = The running settings are not this step's, so its checks wait. "Restart this step" runs them again.
# What a verdict rests on (the note is the lab's, in English).
lessons-check-note = ({ $note })
