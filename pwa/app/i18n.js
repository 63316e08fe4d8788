// UI text: zh-CN by default, English on request (remembered on this device).
const TEXT = {
  "zh-CN": {
    appName: "螺旋诊改", switchTo: "EN", loginTitle: "登录", username: "学号 / 工号", password: "密码",
    login: "登录", logout: "退出登录", loggingIn: "正在登录…", hello: "你好，{name}",
    changeTitle: "请修改初始密码", changeHint: "首次登录需设置新密码（至少8位，包含字母和数字）。",
    currentPassword: "当前密码", newPassword: "新密码", save: "保存",
    role_student: "学生", role_head_teacher: "班主任", role_course_teacher: "任课教师", role_counsellor: "辅导员",
    role_student_affairs: "学工办", role_teaching_office: "教研室", role_pe_teacher: "体育老师",
    role_dept_admin: "系部管理员", role_school_admin: "学校管理员",
    term: "当前学期", myClass: "我的班级", myClasses: "我的班级", departments: "系部",
    card: "发展储值卡", cardEmpty: "本学期还没有采分记录。", checkin: "课堂签到", checkinEmpty: "现在没有进行中的课堂。",
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
  },
  en: {
    appName: "Spiral", switchTo: "中文", loginTitle: "Log in", username: "Student / staff number", password: "Password",
    login: "Log in", logout: "Log out", loggingIn: "Logging in…", hello: "Hello, {name}",
    changeTitle: "Change your initial password", changeHint: "Set a new password (8+ characters, letters and digits).",
    currentPassword: "Current password", newPassword: "New password", save: "Save",
    role_student: "Student", role_head_teacher: "Head teacher", role_course_teacher: "Course teacher",
    role_counsellor: "Counsellor", role_student_affairs: "Student affairs", role_teaching_office: "Teaching office",
    role_pe_teacher: "PE teacher", role_dept_admin: "Department admin", role_school_admin: "School admin",
    term: "Current term", myClass: "My class", myClasses: "My classes", departments: "Departments",
    card: "Development value card", cardEmpty: "No scoring entries this term yet.", checkin: "Check in",
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
  },
};

let lang = localStorage.getItem("spiral.lang") || "zh-CN";

export function t(key, vars = {}) {
  const text = TEXT[lang][key] ?? TEXT["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
}

export function getLang() { return lang; }

export function setLang(next) {
  lang = next;
  localStorage.setItem("spiral.lang", next);
  document.documentElement.lang = next;
}
