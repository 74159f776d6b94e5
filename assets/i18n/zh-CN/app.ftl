# 整个应用：名称、语言切换、各处的提示。

-app-name = Emergence Lab
app-title = 涌现实验室
language-name = 简体中文
app-language-tooltip = 应用的语言（已翻译的课程也随之切换）。启动时可用 --lang 或 EMERGENCE_LAB_LANG 指定。
app-catalogue-problem = 有一个语言文件未能完整读取：{ $problem }
app-link-not-opened = 无法打开这个链接：{ $error }

# 文件：保存、载入、导出的结果（“文件”窗口的状态行）。
app-files-failed = 失败：{ $error }
app-files-download = { $name }（下载文件）
app-files-loaded = 已载入 { $name }（第 { $step } 步）
app-files-screenshot = 截图已保存到 { $place }
app-files-metrics = 指标已写入 { $place }
app-files-model = 模型已写入 { $place }
app-files-config = 配置已写入 { $place }；`emergence-lab run --config` 可以重放它
app-files-config-changed = 配置已写入 { $place }；`emergence-lab run --config` 可以重放它（本次运行中改过训练设置：`run --config` 会从第 0 步起用最终的设置重放）
app-files-saved-experiment = 实验已保存到 { $place }
language-short = 中文
app-language-unavailable = 这里没有语言“{ $language }”的文字，应用现在显示 { $chosen }。现有语言：{ $languages }（可在 assets/i18n 中添加）。
