# lessons
# 课程窗口。课程本身的文字（标题、简介、步骤、检查的机器语法）来自课程文件，不在这里。

lessons-window-title = 课程
lessons-choose = 选择一课
lessons-folder = 课程从 { $folder } 读取；在那里添加一个 .toml 文件，就能写你自己的课。
lessons-not-translated = 这一课还没有中文版，下面显示的是原文（{ $language }）。
lessons-language-en = 英文
lessons-language-zh = 简体中文
lessons-step-heading = 步骤 { $step }/{ $count }：{ $title }
lessons-watch = 观察
lessons-do = 改动
lessons-expect = 预期现象
lessons-why = 原因
lessons-back = ◀ 上一步骤
lessons-restart-step = 重新开始本步骤
lessons-next = 下一步骤 ▶

## 本步骤在当前运行上的检查
lessons-checks-header = 本次运行的检查：{ $passed } 项通过，{ $failed } 项未通过，{ $waiting } 项等待中
lessons-checks-explained = 实验室会在正在运行的网络上验证本步骤的这些说法；`lessons --verify` 会用十个种子检查它们。
lessons-checks-waiting = 当前运行的设置不是本步骤的，所以它的检查在等待。按“重新开始本步骤”可以重新运行它们。
lessons-check-note = （{ $note }）
