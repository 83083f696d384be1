-- Raw tables written by intake. Append-only and idempotent: keys are content hashes, so re-running
-- a period inserts nothing new. dbt reads them as the `raw` source.
create schema if not exists raw;

-- The ledger: every received message, archived first, with exactly one final state.
create table if not exists raw.messages (
    message_hash     text primary key,          -- sha256 of the raw bytes
    message_id       text,
    source           text not null,             -- maildir:<path> or imap:<host>/<folder>
    sender           text,
    subject          text,
    date_header      timestamptz,               -- sender-controlled; stored, never used for the deadline
    received_at      timestamptz,               -- our server's receipt time
    archive_path     text not null,
    state            text not null check (state in ('accepted', 'quarantined', 'ignored')),
    reason_code      text not null,
    reason_vi        text not null,
    reason_en        text not null,
    unit_code        text,
    period_month     date,
    submission_kind  text check (submission_kind in ('report', 'same_as_notice')),
    processed_at     timestamptz not null default now()
);

-- Accepted submissions: one per accepted message.
create table if not exists raw.submissions (
    message_hash     text primary key references raw.messages (message_hash),
    unit_code        text not null,
    period_month     date not null,
    submission_kind  text not null check (submission_kind in ('report', 'same_as_notice')),
    received_at      timestamptz not null,
    filename         text,
    same_as_period   date,
    difficulties     text,
    proposals        text,
    loaded_at        timestamptz not null default now()
);
-- A report's values as arrays in indicator order (the same as raw.submission_values; ingestion.load fills them):
-- value warnings read a unit's twelve months as twelve rows.
alter table raw.submissions add column if not exists indicator_codes text[];
alter table raw.submissions add column if not exists value_numbers double precision[];
alter table raw.submissions add column if not exists value_texts text[];

-- Indicator values of accepted reports, as typed (value_text) and normalised (value_number).
create table if not exists raw.submission_values (
    message_hash     text not null references raw.submissions (message_hash),
    indicator_code   text not null,
    value_text       text,
    value_number     numeric,
    primary key (message_hash, indicator_code)
);

-- Periods that monthly_close has closed: the compliance mart has rows only for these.
create table if not exists raw.period_closures (
    period_month     date primary key,
    closed_at        timestamptz not null default now(),
    dag_run_id       text
);

-- Warnings on values of accepted reports (outliers against the unit's history, jumps, unchanged reports).
-- They never reject a report nor change its deadline status; indicator_code '*' means the whole report.
create table if not exists raw.value_warnings (
    message_hash     text not null references raw.submissions (message_hash),
    indicator_code   text not null,
    warning_code     text not null,             -- outlier_zscore, outlier_minmax, jump, same_as_last_month
    value            numeric,
    expected_low     numeric,
    expected_high    numeric,
    message_vi       text not null,
    message_en       text not null,
    created_at       timestamptz not null default now(),
    primary key (message_hash, indicator_code, warning_code)
);

-- Replies sent to agencies: one per message (a receipt for an accepted one, a rejection for a quarantined
-- one), recorded as soon as the SMTP server took it, so a re-run never sends twice. A reply to mail older than
-- ITREPORT_NOTIFY_MAX_AGE_DAYS (a backfill) is recorded as withheld and never sent.
create table if not exists raw.replies (
    message_hash     text primary key references raw.messages (message_hash),
    reply_kind       text not null check (reply_kind in ('receipt', 'rejection')),
    recipient        text not null,
    subject          text not null,
    sent_at          timestamptz not null default now()
);
alter table raw.replies add column if not exists withheld_reason text;  -- null: sent

-- Compliance alerts sent to ministry staff: a re-run of a period's close sends its alert again only when what
-- it says (subject, body, attachments, recipients) changed, e.g. a late report arrived since.
create table if not exists raw.alerts (
    period_month     date not null,
    content_sha256   text not null,
    subject          text not null,
    recipients       text not null,
    sent_at          timestamptz not null default now(),
    primary key (period_month, content_sha256)
);

-- How far each IMAP folder has been read: its UIDVALIDITY and the highest UID archived and recorded. Written in
-- the transaction that records the messages; another UIDVALIDITY means the folder is read again from UID 1.
create table if not exists raw.imap_state (
    account          text not null,             -- user@host:port
    folder           text not null,
    uidvalidity      bigint not null,
    last_uid         bigint not null,
    updated_at       timestamptz not null default now(),
    primary key (account, folder)
);

-- Every email the product sends, claimed before it is sent and marked after (itreport.notify.outbox): at most once
-- per (kind, key, content). 'claimed' that never became 'sent' means a sender died mid-send: the audit lists it.
create table if not exists raw.outbox (
    kind             text not null,             -- reply, alert, reminder, digest, report, …
    key              text not null,             -- what it is about: a message hash, a period, unit/period/step, …
    content_sha256   text not null,             -- subject, body, recipients and attachments
    recipients       text not null,
    subject          text not null,
    state            text not null check (state in ('claimed', 'sent', 'failed')),
    claimed_at       timestamptz not null default now(),
    sent_at          timestamptz,
    error            text,
    primary key (kind, key, content_sha256)
);

-- Reminders to agencies before the deadline: one row per (unit, period, step = days before the deadline), written
-- when the reminder went out (through raw.outbox) or was withheld (a backfill: its day passed long ago), so a
-- rerun or a backfill of the reminders DAG sends nothing new.
create table if not exists raw.reminders (
    unit_code          text not null,
    period_month       date not null,
    days_before        integer not null,
    recipients         text not null,
    subject            text not null,
    attachment_name    text,
    attachment_sha256  text,
    prefilled_from     date,                  -- the period of the last accepted report the form is prefilled from
    withheld_reason    text,                  -- null: sent
    recorded_at        timestamptz not null default now(),
    primary key (unit_code, period_month, days_before)
);

-- Reports the product writes (the monthly briefing, the annual evaluation…): every version of a report kind for a
-- period or year, its archived file and sha256, and the person's decision at the approval gate.
create table if not exists raw.reports (
    report_kind      text not null,             -- government_monthly, annual_evaluation, …
    report_key       text not null,             -- the period (YYYY-MM) or year (YYYY) it is about
    version          integer not null,
    sha256           text not null,             -- of the archived file
    archive_path     text not null,
    created_at       timestamptz not null default now(),
    dag_run_id       text,
    decision         text check (decision in ('approved', 'rejected')),
    decided_by       text,
    comment          text,
    decided_at       timestamptz,
    sent_to          text,                      -- recipients of the approved version
    sent_at          timestamptz,
    primary key (report_kind, report_key, version),
    unique (report_kind, report_key, sha256)
);

-- Maildir files whose message the ledger holds, as they were when read: a file still of that size and mtime is
-- not read (nor hashed) again, so intake on a mailbox that keeps earlier months stays flat.
create table if not exists raw.maildir_files (
    source           text not null,             -- maildir:<path>
    file_key         text not null,             -- new/<name> or cur/<name>
    size             bigint not null,
    mtime_ns         bigint not null,
    message_hash     text not null,
    recorded_at      timestamptz not null default now(),
    primary key (source, file_key)
);

-- Lookups by period or by load time, so a month's work reads the month, not the history: the audit and the replies
-- by period (messages), the finishing step of intake by load time (the reports a run loaded) and by unit and period
-- (their histories for the value warnings), dbt by decision time (the periods of the messages decided since a
-- model's last build: macro changed_periods_cutoff), the audit's unsent emails (a handful among every email ever sent).
create index if not exists messages_period_month on raw.messages (period_month);
create index if not exists messages_processed_at on raw.messages (processed_at);
create index if not exists submissions_loaded_at on raw.submissions (loaded_at);
create index if not exists submissions_unit_period on raw.submissions (unit_code, period_month);
create index if not exists outbox_unsent on raw.outbox (claimed_at) where state in ('claimed', 'failed');
