// UI text: zh-CN by default, English on request (remembered on this device).
const TEXT = {
  "zh-CN": {
    appName: "螺旋诊改", switchTo: "EN", switchToLabel: "EN · 切换为英文", roleLabel: "当前角色", loginTitle: "登录", username: "学号 / 工号", password: "密码",
    login: "登录", logout: "退出登录", loggingIn: "正在登录…", hello: "你好，{name}",
    changeTitle: "请修改初始密码", changeHint: "首次登录需设置新密码：至少 8 个字符，任何文字均可（可用中文短语），不能是常见密码或包含学号。",
    currentPassword: "当前密码", newPassword: "新密码", save: "保存",
    role_student: "学生", role_head_teacher: "班主任", role_course_teacher: "任课教师", role_counsellor: "辅导员",
    role_student_affairs: "学工办", role_teaching_office: "教研室", role_pe_teacher: "体育老师",
    role_dept_admin: "系部管理员", role_school_admin: "学校管理员",
    term: "当前学期", myClass: "我的班级", myClasses: "我的班级", departments: "系部",
    card: "发展储值卡", cardEmpty: "本学期还没有采分记录。", checkin: "课堂签到", checkinEmpty: "现在没有进行中的课堂。",
    myPlans: "我的发展计划", kind_student_term: "学期发展计划", kind_student_cycle: "三年发展规划",
    kind_teacher_cycle: "教师三年发展规划", kind_teacher_year: "年度工作计划", thisPlanTerm: "本学期",
    planStatus_draft: "草稿", planStatus_submitted: "待审阅", planStatus_returned: "已退回", planStatus_approved: "已通过",
    standing_target: "达到目标", standing_standard: "达到标准", standing_below_standard: "未达标准",
    standing_past_warning: "越过预警", standing_no_data: "暂无数据", standingHead: "达成",
    actual: "实际", target: "目标值", value: "数值", note: "说明", logProgress: "记录进度", remove: "删除", linked: "关联采分点",
    part: "部分", part_A: "A 学业", part_B: "B 综合素质", part_C: "C 职业", part_ethics: "师德师风", part_teaching: "教学能力",
    part_research: "科研与社会服务", part_management: "学生管理与服务", part_career: "职业发展",
    linkPoint: "关联采分点（进度自动取自储值卡）", freeGoal: "自定义目标（自己记录进度）", goalTitle: "名称",
    goalHint: "目标值、标准值、预警值不得低于学院标准；越过预警值时先提醒你。", milestone: "里程碑（可选）", dueOn: "截止日期",
    addGoal: "添加目标", noGoals: "还没有目标。", planSummary: "计划概述", privateNote: "私人备注（仅自己可见）",
    reviewComment: "审阅意见", approve: "通过", returnPlan: "退回修改", submitPlan: "提交审阅",
    stage_novice: "新手型", stage_competent: "胜任型", stage_mature: "成熟型", stage_expert: "专家型",
    seeDiagnosis: "查看自我诊断", writeDiagnosis: "填写期末自我诊断", cause: "原因分析", measure: "改进措施",
    diagnosisSummary: "诊断总结", saveDraft: "保存草稿", submitDiagnosis: "提交自我诊断", diagnosisTitle: "自我诊断",
    diagnosisFrozen: "已提交，只读。", diagnosisHint: "实际值已按数据预填；请写出原因和改进措施，提交后生成下期目标草稿。",
    nextPlan: "查看下期计划草稿 →", selfAssessment: "发展自测问卷", assessmentDone: "本学期问卷已提交。",
    assessmentProgress: "本学期已答 {n}/20 题，可随时继续。", fillAssessment: "填写问卷", seeRadar: "查看雷达图",
    answeredOf: "已答 {n}/{total}", othersAssessment: "他评问卷", assessmentHint: "每题选最符合你近来表现的一级，选择即保存。",
    submitAssessment: "提交问卷", radar: "自测诊断雷达图", radarEmpty: "提交本学期问卷后显示雷达图。",
    series_this_term: "本学期", series_previous_term: "上学期", series_class_median: "班级中位数", series_others: "他评",
    radarCounts: "班级已提交 {n} 人；他评 {m} 份。", suggestions: "改进建议", levelN: "{n}级", modules: "推荐第二课堂模块",
    portfolio: "成长档案", evidence_honour: "荣誉", evidence_paper: "论文", evidence_project: "项目",
    evidence_certificate: "证书", evidence_training: "培训", evidence_industry_practice: "企业实践", attach: "上传佐证材料",
    portfolioEmpty: "还没有成长档案。", addEvidence: "添加档案", kind: "类别", date: "日期", hours: "学时/小时",
    portraitLink: "教师画像",
    series_this_year: "本学年", series_standard: "阶段标准", series_last_year: "上学年", series_department_median: "院系中位数",
    deptTeachers: "本系教师发展", noTeachers: "本系还没有教师。", classPlans: "班级发展计划",
    goalsMet: "达成 {n}/{of}", assessment_not_started: "未开始", assessment_draft: "填写中", assessment_submitted: "已提交",
    print: "打印", noDiagnosis: "尚未填写自我诊断。", goalAchievement: "目标达成", keepGoing: "保持现有做法，继续提升。",
    termReport: "学期发展报告", openReport: "打开报告（可打印、下载 PDF/XLSX）", growth: "教师成长", yearlyReport: "年度自我诊断报告",
    plan: "发展计划", planEmpty: "还没有发展计划。", warnings: "预警与提醒", warningsEmpty: "没有预警。",
    entry: "批量录入采分点", entryEmpty: "选择班级和采分点后即可录入。", leave: "请假审批", leaveEmpty: "没有待审批的请假。",
    sessions: "课堂与考勤", sessionsEmpty: "还没有开设课堂。", alerts: "风险预警", alertsEmpty: "没有需要处理的预警。",
    reports: "班级报表", reportsEmpty: "汇总任务运行后这里会显示报表。", catalogue: "采分点目录",
    deptReport: "系部报表", classReport: "班级报表", schoolReport: "全校概览", students: "学生数",
    totalMean: "总分平均", totalMedian: "总分中位数", classesTotal: "各班总分平均", trends: "周趋势",
    slippedWeek: "第{week}周下滑的班级", noneSlipped: "本周没有班级下滑。", noTrend: "还没有按周的数据。",
    allPoints: "全部采分点", pastWarning: "低于预警", underWarning: "低于预警值的学生", noneUnderWarning: "没有学生低于预警值。",
    rankOf: "系内排名 {position} / {of}", weekN: "第{n}周", downloadXlsx: "下载报表 XLSX",
    diagnosisPdf: "学期诊断分析 PDF", diagnosisXlsx: "学期诊断分析 XLSX",
    myPoints: "我负责的采分点", roster: "名单导入", rosterHint: "上传学校导出的学生、教职工名单（.xlsx 或 .csv）。",
    template: "下载模板", upload: "上传导入", imported: "导入完成：新增 {created}，更新 {updated}，未变 {unchanged}",
    noClasses: "暂无班级。", points: "个采分点", individual: "个人", classLevel: "班级",
    academic: "学业发展", personal: "个人发展", career: "职业发展", offline: "离线：部分功能暂不可用。",
    standard: "标准值", warning: "预警值", weight: "权重",
    total: "总分", valueAdded: "较上学期增值", classMedian: "班级中位数", entries: "采分明细",
    sinceStart: "本学期增值", history: "按月变化", point: "采分点", period: "期间", fillAll: "全部填为…",
    nothingToSend: "还没有填写任何值。", queued: "已离线保存，联网后自动提交。", saved: "已保存 {count} 条。",
    submit: "提交", disputes: "采分申诉", disputesEmpty: "没有待处理的申诉。", reason: "原因", rightValue: "正确的值（可选）",
    reverse: "冲销更正", reject: "驳回", approve: "批准", dispute_reversed: "已冲销", dispute_rejected: "已驳回",
    dispute: "申诉", disputeWhy: "申诉原因：", disputed: "已提交申诉", reversedEntry: "已冲销",
    rotatesIn: "{seconds} 秒后更换", markAs: "标记为", mark_present: "到课", mark_late: "迟到", mark_absent: "缺课",
    mark_leave: "请假", unmarked: "未标记", showCode: "请学生在手机上输入签到码", closed: "已结束签到", refresh: "刷新",
    selectUnmarked: "选中未标记", apply: "标记选中", closeSession: "结束签到（未标记记为缺课）", grace: "迟到宽限（分钟）",
    openSession: "开始上课并签到", checkinCode: "签到码", checkinDo: "签到", checked_present: "签到成功：准时",
    checked_late: "签到成功：迟到", openSessions: "有 {count} 个课堂正在签到", leaveApply: "请假申请", leaveFrom: "开始时间",
    leaveTo: "结束时间", leaveSent: "已提交，等待班主任审批", leave_pending: "待审批", leave_approved: "已批准",
    leave_rejected: "未批准", comment: "意见", pending: "待同步 {count}", refused: "以下离线提交被服务器拒绝：",
    level_red: "红色", level_orange: "橙色", level_yellow: "黄色", hoursAgo: "{n}小时前", daysAgo: "{n}天前", overdue: "逾期未确认",
    classWarnings: "班级预警", back: "返回", evidence: "依据", timeline: "处理经过", waitingOn: "待处理：", registered: "已登记",
    group_hardship: "经济困难", group_psychological: "心理关注", group_employment: "就业困难",
    status_raised: "已触发", status_notified: "已通知", status_acknowledged: "已确认", status_in_progress: "干预中",
    status_escalated: "已升级", status_resolved: "已解除",
    event_raised: "触发预警", event_notified: "已通知", event_acknowledged: "已确认", event_note: "个案记录", event_action: "干预措施",
    event_escalated: "逾期升级", event_level: "级别上升", event_reopened: "重新打开", event_resolved: "已解除", event_cleared: "数值已回到预警线内",
    interventionKind: "类型", interventionText: "内容", followUp: "跟进日期", addIntervention: "添加记录",
    acknowledge: "确认收到", resolve: "解除预警", resolution: "解除说明",
    inbox: "通知", inboxEmpty: "没有通知。", notificationSettings: "通知设置", pushOn: "在本设备开启推送", pushOff: "关闭本设备推送",
    pushDenied: "浏览器未允许通知。", device: "设备", quietFrom: "免打扰开始", quietUntil: "免打扰结束", digest: "黄色预警合并为每日汇总",
    digestHour: "每日汇总时间", redAlways: "红色预警总会立即推送；锁屏上不显示姓名和预警类别。", settingsSaved: "已保存。",
    notificationsLink: "通知与设置", myDataLink: "我的数据（下载副本）",
    offlineAsOf: "离线 · 截至 {time}", offlineNoData: "离线：这个页面还没有保存的数据，联网后再打开。",
    offlineWrite: "离线：这项操作需要联网。", offlineLogin: "离线：联网后才能登录。",
    expiredTitle: "以下离线提交超过 {days} 天仍未能发送，已停止重试。请核对后重新提交：",
    unownedNote: "本机有 {count} 条应用更新前保存的离线提交，无法确认是谁提交的，因此没有发送。请需要的同学或老师重新提交。",
    dismiss: "知道了", madeAt: "{time} 提交",
    pendingAfterLogout: "你还有 {count} 条离线提交未发送：重新登录并联网后自动发送，不会以其他人的身份发送。",
    label_checkin: "课堂签到", label_entries: "录入 {point} · {count} 人", label_leave: "请假申请",
    label_decision: "请假审批 · {name}", label_marks: "考勤标记 · {count} 人", label_close: "结束签到",
    label_resolve: "处理申诉", label_dispute: "采分申诉", label_write: "离线提交",
  },
  en: {
    appName: "Spiral", switchTo: "中文", switchToLabel: "中文 · switch to Chinese", roleLabel: "Role", loginTitle: "Log in", username: "Student / staff number", password: "Password",
    login: "Log in", logout: "Log out", loggingIn: "Logging in…", hello: "Hello, {name}",
    changeTitle: "Change your initial password", changeHint: "Set a new password: at least 8 characters in any script (a phrase works), not a common password and not containing your number.",
    currentPassword: "Current password", newPassword: "New password", save: "Save",
    role_student: "Student", role_head_teacher: "Head teacher", role_course_teacher: "Course teacher",
    role_counsellor: "Counsellor", role_student_affairs: "Student affairs", role_teaching_office: "Teaching office",
    role_pe_teacher: "PE teacher", role_dept_admin: "Department admin", role_school_admin: "School admin",
    term: "Current term", myClass: "My class", myClasses: "My classes", departments: "Departments",
    card: "Development value card", cardEmpty: "No scoring entries this term yet.", checkin: "Check in",
    myPlans: "My development plans", kind_student_term: "Term plan", kind_student_cycle: "Three-year plan",
    kind_teacher_cycle: "Three-year teacher plan", kind_teacher_year: "Annual work plan", thisPlanTerm: "this term",
    planStatus_draft: "Draft", planStatus_submitted: "Awaiting review", planStatus_returned: "Returned", planStatus_approved: "Approved",
    standing_target: "Target met", standing_standard: "Standard met", standing_below_standard: "Below standard",
    standing_past_warning: "Past warning", standing_no_data: "No data yet", standingHead: "Standing",
    actual: "Actual", target: "Target", value: "Value", note: "Note", logProgress: "Log progress", remove: "Remove", linked: "Linked point",
    part: "Part", part_A: "A Academic", part_B: "B Comprehensive quality", part_C: "C Career", part_ethics: "Ethics",
    part_teaching: "Teaching", part_research: "Research and social service", part_management: "Student management and service",
    part_career: "Career development",
    linkPoint: "Link a scoring point (progress from the value card)", freeGoal: "Free goal (you log progress)", goalTitle: "Title",
    goalHint: "Target, standard and warning values may not go below the college's; you hear first when the warning value is crossed.",
    milestone: "Milestone (optional)", dueOn: "Due on",
    addGoal: "Add a goal", noGoals: "No goals yet.", planSummary: "What this plan aims for", privateNote: "Private note (only you)",
    reviewComment: "Review comment", approve: "Approve", returnPlan: "Return for changes", submitPlan: "Submit for review",
    stage_novice: "Novice", stage_competent: "Competent", stage_mature: "Mature", stage_expert: "Expert",
    seeDiagnosis: "See the self-diagnosis", writeDiagnosis: "Write the period-end self-diagnosis", cause: "Causes",
    measure: "Improvement measures", diagnosisSummary: "Summary", saveDraft: "Save draft", submitDiagnosis: "Submit self-diagnosis",
    diagnosisTitle: "Self-diagnosis", diagnosisFrozen: "Submitted; read-only.",
    diagnosisHint: "Actual values are filled in from the data; add causes and measures. Submitting drafts next period's goals.",
    nextPlan: "See next period's draft plan →", selfAssessment: "Development self-assessment", assessmentDone: "This term's questionnaire is submitted.",
    assessmentProgress: "{n}/20 answered this term; continue any time.", fillAssessment: "Fill in the questionnaire", seeRadar: "See the radar",
    answeredOf: "{n}/{total} answered", othersAssessment: "Others' assessment", assessmentHint: "Pick the level closest to how you have been lately; each choice is saved at once.",
    submitAssessment: "Submit the questionnaire", radar: "Self-assessment radar", radarEmpty: "The radar appears once this term's questionnaire is submitted.",
    series_this_term: "This term", series_previous_term: "Last term", series_class_median: "Class median", series_others: "Others' view",
    radarCounts: "{n} classmates submitted; {m} others' assessments.", suggestions: "Suggestions", levelN: "level {n}",
    modules: "Second-classroom modules to join",
    portfolio: "Growth portfolio", evidence_honour: "Honour", evidence_paper: "Paper", evidence_project: "Project",
    evidence_certificate: "Certificate", evidence_training: "Training", evidence_industry_practice: "Industry practice", attach: "Attach evidence",
    portfolioEmpty: "No portfolio items yet.", addEvidence: "Add evidence", kind: "Kind", date: "Date", hours: "Hours",
    portraitLink: "Teacher portrait",
    series_this_year: "This year", series_standard: "Stage standard", series_last_year: "Last year", series_department_median: "Department median",
    deptTeachers: "Teachers' development", noTeachers: "No teachers in this department.", classPlans: "Class development plans",
    goalsMet: "{n}/{of} met", assessment_not_started: "not started", assessment_draft: "in progress", assessment_submitted: "submitted",
    print: "Print", noDiagnosis: "No self-diagnosis yet.", goalAchievement: "Goal achievement", keepGoing: "Keep going as you are.",
    termReport: "Term development report", openReport: "Open the report (print, PDF, XLSX)", growth: "Teacher growth", yearlyReport: "Yearly self-diagnosis report",
    checkinEmpty: "No class session is open now.", plan: "Development plan", planEmpty: "No development plan yet.",
    warnings: "Warnings and nudges", warningsEmpty: "No warnings.", entry: "Enter scoring points for a class",
    entryEmpty: "Choose a class and a scoring point to start.", leave: "Leave requests", leaveEmpty: "No leave requests to review.",
    sessions: "Sessions and attendance", sessionsEmpty: "No class sessions yet.", alerts: "Risk alerts",
    alertsEmpty: "No alerts to work on.", reports: "Class reports", reportsEmpty: "Reports appear once the aggregation jobs have run.",
    deptReport: "Department report", classReport: "Class report", schoolReport: "School overview", students: "Students",
    totalMean: "Mean total", totalMedian: "Median total", classesTotal: "Mean total by class", trends: "Weekly trends",
    slippedWeek: "Classes that slipped in week {week}", noneSlipped: "No class slipped this week.", noTrend: "No weekly data yet.",
    allPoints: "All scoring points", pastWarning: "past warning", underWarning: "Students past a warning value",
    noneUnderWarning: "No student is past a warning value.", rankOf: "Rank in department {position} of {of}", weekN: "Week {n}",
    downloadXlsx: "Download XLSX", diagnosisPdf: "Semester diagnosis PDF", diagnosisXlsx: "Semester diagnosis XLSX",
    catalogue: "Scoring-point catalogue", myPoints: "Scoring points I enter", roster: "Roster import",
    rosterHint: "Upload the student and staff lists your college exports (.xlsx or .csv).", template: "Download template",
    upload: "Upload and import", imported: "Imported: {created} new, {updated} updated, {unchanged} unchanged",
    noClasses: "No classes.", points: "scoring points", individual: "Individual", classLevel: "Class",
    academic: "Academic", personal: "Personal", career: "Career", offline: "Offline: some features are unavailable.",
    standard: "Standard", warning: "Warning", weight: "Weight",
    total: "Total", valueAdded: "Added since last term", classMedian: "Class median", entries: "Scoring points",
    sinceStart: "Added this term", history: "By month", point: "Scoring point", period: "Period", fillAll: "Fill all with…",
    nothingToSend: "Nothing filled in yet.", queued: "Saved offline; it will be sent when you are back online.",
    saved: "Saved {count} entries.", submit: "Submit", disputes: "Disputes", disputesEmpty: "No disputes to resolve.",
    reason: "Reason", rightValue: "Right value (optional)", reverse: "Reverse and correct", reject: "Reject",
    approve: "Approve", dispute_reversed: "Reversed", dispute_rejected: "Rejected", dispute: "Dispute",
    disputeWhy: "Why do you dispute this entry?", disputed: "Dispute sent", reversedEntry: "reversed",
    rotatesIn: "changes in {seconds} s", markAs: "Mark as", mark_present: "Present", mark_late: "Late",
    mark_absent: "Absent", mark_leave: "On leave", unmarked: "Unmarked", showCode: "Students type this code on their phones",
    closed: "Check-in closed", refresh: "Refresh", selectUnmarked: "Select unmarked", apply: "Mark selected",
    closeSession: "Close check-in (unmarked become absent)", grace: "Grace period (minutes)",
    openSession: "Start the session", checkinCode: "Check-in code", checkinDo: "Check in",
    checked_present: "Checked in: on time", checked_late: "Checked in: late", openSessions: "{count} session(s) taking check-ins",
    leaveApply: "Apply for leave", leaveFrom: "From", leaveTo: "To", leaveSent: "Sent; your head teacher will decide.",
    leave_pending: "Pending", leave_approved: "Approved", leave_rejected: "Rejected", comment: "Comment",
    pending: "{count} to sync", refused: "The server refused these offline writes:",
    level_red: "Red", level_orange: "Orange", level_yellow: "Yellow", hoursAgo: "{n} h ago", daysAgo: "{n} days ago",
    overdue: "Overdue", classWarnings: "Class warnings", back: "Back", evidence: "Evidence", timeline: "Timeline",
    waitingOn: "Waiting on:", registered: "Registered", group_hardship: "Economic hardship",
    group_psychological: "Psychological concern", group_employment: "Employment difficulty",
    status_raised: "Raised", status_notified: "Notified", status_acknowledged: "Acknowledged", status_in_progress: "In progress",
    status_escalated: "Escalated", status_resolved: "Resolved",
    event_raised: "Raised", event_notified: "Notified", event_acknowledged: "Acknowledged", event_note: "Case note",
    event_action: "Action", event_escalated: "Escalated (overdue)", event_level: "Level rose", event_reopened: "Reopened",
    event_resolved: "Resolved", event_cleared: "Values back within the warning line",
    interventionKind: "Kind", interventionText: "What happened", followUp: "Follow up on", addIntervention: "Add to the case",
    acknowledge: "Acknowledge", resolve: "Resolve", resolution: "How it was resolved",
    inbox: "Notifications", inboxEmpty: "No notifications.", notificationSettings: "Notification settings",
    pushOn: "Turn on push on this device", pushOff: "Turn off push on this device", pushDenied: "The browser did not allow notifications.",
    device: "Device", quietFrom: "Quiet hours from", quietUntil: "Quiet hours until", digest: "Gather yellow alerts into a daily digest",
    digestHour: "Digest at", redAlways: "Red alerts always push at once; lock screens never show names or the kind of risk.",
    settingsSaved: "Saved.", notificationsLink: "Notifications and settings", myDataLink: "My data (download a copy)",
    offlineAsOf: "Offline, as of {time}", offlineNoData: "Offline: nothing saved for this screen yet; open it again online.",
    offlineWrite: "Offline: this needs a connection.", offlineLogin: "Offline: log in once you are back online.",
    expiredTitle: "These offline writes could not be sent within {days} days and are no longer tried. Check them and submit again:",
    unownedNote: "{count} offline write(s) saved before an update cannot be matched to the person who made them, so they were not sent. Whoever needs them should submit again.",
    dismiss: "Dismiss", madeAt: "made {time}",
    pendingAfterLogout: "{count} of your offline writes are not sent yet: they go out when you log in again online, never as anyone else.",
    label_checkin: "Check-in", label_entries: "{point} for {count} students", label_leave: "Leave request",
    label_decision: "Leave decision · {name}", label_marks: "Attendance marks · {count} students", label_close: "Close check-in",
    label_resolve: "Dispute decision", label_dispute: "Dispute", label_write: "Offline write",
  },
};

let lang = localStorage.getItem("spiral.lang") || "zh-CN";

export function t(key, vars = {}) {
  const text = TEXT[lang][key] ?? TEXT["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
}

export function getLang() { return lang; }

// "标签：值" / "Label: value", and a list "甲、乙" / "A, B": the punctuation is the language's too.
export function labelled(label, value) { return lang === "en" ? `${label}: ${value}` : `${label}：${value}`; }
export function listed(items) { return items.join(lang === "en" ? ", " : "、"); }

// A screen's own words, kept in its module (so they load with it): addText({ key: "中文" }, { key: "English" }).
export function addText(zh, en) {
  Object.assign(TEXT["zh-CN"], zh);
  Object.assign(TEXT.en, en);
}

// A bilingual field of an API object (`name_zh` / `name_en`) in the current language.
export function local(item, field = "name") { return lang === "en" ? item[`${field}_en`] : item[`${field}_zh`]; }

export function setLang(next) {
  lang = next;
  localStorage.setItem("spiral.lang", next);
  document.documentElement.lang = next;
}

// Times are the school's: a phone set to another zone still reads the bell schedule's clock.
export const SCHOOL_ZONE = "Asia/Shanghai";
const schoolDay = (d) => d.toLocaleDateString("en-CA", { timeZone: SCHOOL_ZONE });

// Today at the school, YYYY-MM-DD (a UTC date is yesterday until 08:00 in China).
export function schoolToday() { return schoolDay(new Date()); }

// A moment as people say it: "10:42" today, with the date on other days.
export function when(ms) {
  const moment = new Date(ms);
  const time = moment.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: SCHOOL_ZONE });
  if (schoolDay(moment) === schoolDay(new Date())) return time;
  return `${moment.toLocaleDateString(lang, { month: "short", day: "numeric", timeZone: SCHOOL_ZONE })} ${time}`;
}
