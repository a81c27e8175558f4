"""提醒与通知: the reminder rules (what is due, for whom), the queue that sends each reminder once (inbox, email,
企业微信 group), the job the in-server scheduler and ``core.manage send-reminders`` run, and the inbox. Reads the
intake, review, monitoring and incubation areas; no streamlit."""
