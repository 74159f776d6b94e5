# files
# 文件窗口（保存、导出、分享），以及文件无法使用时的对话框。

files-window-title = 保存、导出、分享
files-folder = 文件夹
files-name = 名称
files-downloads = 保存和导出的文件会作为下载文件出现。
files-save-experiment = 保存实验
files-save-experiment-tooltip = 配置、权重、优化器状态和历史：训练能完全照原样继续
files-screenshot = 截图（F12）
files-export-metrics = 指标 CSV
files-export-model = 模型 JSON
files-export-config = 配置 TOML
files-export-config-tooltip = emergence-lab run --config FILE 会以无界面方式（headless）重放这个会话
files-copy-config = 复制配置
files-copy-config-tooltip = 把配置复制到剪贴板，可以粘贴到消息里
files-load-label = 载入
files-load-hint = .emlab 文件的路径
files-load = 载入
files-pick-experiment = 载入实验…
files-pick-experiment-tooltip = 从实验室保存的 .emlab 文件
files-copy-link = 复制链接
files-copy-link-tooltip = 一个链接：在网页中或用 `emergence-lab gui --link` 打开这些设置（如果打开了某一课的步骤，也包括这个步骤）
files-link-hint = 粘贴链接以打开
files-open-link = 打开
files-format-version = 保存的实验使用格式版本 { $version }。

## 无法使用的文件（错误信息本身来自实验室，是英文）
files-error-heading = 无法使用这个文件
files-error-nothing-changed = 什么都没有改变：会话照常继续。
files-error-ok = 确定
