# files
# The files window (save, export, share) and the dialog for a file that
# could not be used.

files-window-title = Save, export, share
files-folder = folder
files-name = name
files-downloads = Saved files and exports arrive as downloads.
files-save-experiment = Save experiment
files-save-experiment-tooltip = Config, weights, optimiser state and history: training resumes exactly
files-screenshot = Screenshot (F12)
files-export-metrics = Metrics CSV
files-export-model = Model JSON
files-export-config = Config TOML
files-export-config-tooltip = emergence-lab run --config FILE replays this session headless
files-copy-config = Copy config
files-copy-config-tooltip = Puts the config on the clipboard, to paste in a message
files-load-label = load
files-load-hint = path of a .emlab file
files-load = Load
files-pick-experiment = Load an experiment…
files-pick-experiment-tooltip = A .emlab file saved from the lab
files-copy-link = Copy link
files-copy-link-tooltip = A link that opens these settings (and the lesson step, if one is open) in the web page or with `emergence-lab gui --link`
files-link-hint = paste a link to open it
files-open-link = Open
files-format-version = Saved experiments are format version { $version }.

## A file that could not be used (the error itself is the lab's, in English)
files-error-heading = That file could not be used
files-error-nothing-changed = Nothing was changed: the session goes on as it was.
files-error-ok = OK
