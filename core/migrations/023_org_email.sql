-- 023: 社会组织联系邮箱 — the organisation's contact's email address (optional): the reminders about an organisation
-- (补正, 培训, 资助协议, 中期/末期报告) are also emailed to it (core.notify, recipient 'org:<id>').
ALTER TABLE organisations ADD COLUMN IF NOT EXISTS contact_email VARCHAR;
