# The app as a whole: its name, the language switch, notices from any part.
# Message ids: the file's area, then what it is, lower case with hyphens.
# Numbers are passed as numbers: format them with NUMBER() here.

-app-name = Emergence Lab
app-title = { -app-name }
# This language's name, in itself, for the language switch.
language-name = English
app-language-tooltip = The app's language (lessons too, where they are translated). Start in one with --lang or EMERGENCE_LAB_LANG.
app-catalogue-problem = A language file could not be fully read: { $problem }
app-link-not-opened = the link could not be opened: { $error }

# Files: what a save, a load or an export did (the status line of the Files
# window). $place is a path, or a download's description.
app-files-failed = failed: { $error }
app-files-download = { $name } (a download)
app-files-loaded = loaded { $name } at step { $step }
app-files-screenshot = screenshot saved to { $place }
app-files-metrics = metrics written to { $place }
app-files-model = model written to { $place }
app-files-config = config written to { $place }; `emergence-lab run --config` replays it
app-files-config-changed = config written to { $place }; `emergence-lab run --config` replays it (training settings changed during this run: `run --config` replays the final settings from step 0)
app-files-saved-experiment = saved the experiment to { $place }
# This language's short name, in itself, for the narrow language switch.
language-short = EN
app-language-unavailable = There are no words for the language "{ $language }" here; the app is in { $chosen }. Languages: { $languages } (add one in assets/i18n).
