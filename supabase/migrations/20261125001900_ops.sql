-- ============================================================================
-- Operations: what operators watch (health scores, churn alerts, ops alerts, error logs,
-- reconciliation runs, the admin dialer queue) and the plumbing that makes webhooks and limits
-- safe across instances (processed webhook events, rate-limit counters). Admins read; functions,
-- triggers and cron write.
-- ============================================================================

create table public.customer_health_scores (
  user_id uuid primary key references auth.users (id) on delete cascade,
  score integer not null check (score between 0 and 100),
  factors jsonb not null default '{}'::jsonb,
  calculated_at timestamptz not null default now()
);
comment on table public.customer_health_scores is 'Latest health score (0-100) of each business and the factors behind it.';

create table public.churn_alerts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  reason text not null check (reason in ('inactive', 'low_health', 'payment_failed', 'canceled')),
  severity text not null default 'medium' check (severity in ('low', 'medium', 'high')),
  status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  resolved_at timestamptz
);
comment on table public.churn_alerts is 'Businesses at risk of leaving; at most one open alert per business and reason.';
create unique index churn_alerts_one_open_per_reason on public.churn_alerts (user_id, reason) where status <> 'resolved';

create table public.ops_alerts (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind ~ '^[a-z][a-z0-9_]*$'),
  severity text not null default 'warning' check (severity in ('info', 'warning', 'critical')),
  message text not null,
  user_id uuid references auth.users (id) on delete cascade,
  details jsonb not null default '{}'::jsonb,
  dedupe_key text,
  created_at timestamptz not null default now(),
  resolved_at timestamptz
);
comment on table public.ops_alerts is 'Problems an operator must look at (payment failures, unattributed bookings, failed deployments).';
create unique index ops_alerts_open_dedupe_key on public.ops_alerts (dedupe_key) where resolved_at is null;
create index ops_alerts_user_id_idx on public.ops_alerts (user_id);
create index ops_alerts_open_idx on public.ops_alerts (created_at desc) where resolved_at is null;

create table public.error_logs (
  id bigint generated always as identity primary key,
  source text not null,
  message text not null,
  user_id uuid references auth.users (id) on delete set null,
  request_id text,
  context jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
comment on table public.error_logs is 'Errors functions could not surface to a caller (e.g. the database briefly unreachable during a call).';
create index error_logs_created_at_idx on public.error_logs (created_at desc);
create index error_logs_user_id_idx on public.error_logs (user_id);

create table public.reconciliation_runs (
  id bigint generated always as identity primary key,
  triggered_by text not null check (triggered_by in ('cron', 'admin', 'test')),
  triggered_by_user_id uuid references auth.users (id) on delete set null,
  status text not null default 'running' check (status in ('running', 'completed', 'skipped', 'failed')),
  users_checked integer not null default 0,
  users_corrected integer not null default 0,
  changes jsonb not null default '[]'::jsonb,
  note text,
  started_at timestamptz not null default now(),
  finished_at timestamptz
);
comment on table public.reconciliation_runs is 'Each pass that recomputes usage counters from the ledgers, with what it corrected.';
create index reconciliation_runs_started_at_idx on public.reconciliation_runs (started_at desc);
create index reconciliation_runs_triggered_by_user_id_idx on public.reconciliation_runs (triggered_by_user_id);

create table public.dialer_queue (
  id uuid primary key default gen_random_uuid(),
  phone public.phone_e164 not null,
  contact_name text,
  business_name text,
  status text not null default 'queued' check (status in ('queued', 'calling', 'done', 'failed', 'skipped')),
  attempts integer not null default 0 check (attempts >= 0),
  scheduled_at timestamptz not null default now(),
  notes text,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.dialer_queue is 'Operators'' outbound call list (sales and onboarding calls).';
create index dialer_queue_status_scheduled_at_idx on public.dialer_queue (status, scheduled_at);
create index dialer_queue_created_by_idx on public.dialer_queue (created_by);

create table public.inbound_webhook_events (
  provider text not null check (provider in ('stripe', 'retell', 'calcom', 'twilio')),
  event_id text not null,
  event_type text not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  primary key (provider, event_id)
);
comment on table public.inbound_webhook_events is 'Every provider event id we accepted, recorded before acting, so a redelivery does nothing twice.';

create table public.rate_limit_counters (
  bucket text not null,
  window_start timestamptz not null,
  hits integer not null default 0,
  primary key (bucket, window_start)
);
comment on table public.rate_limit_counters is 'Fixed-window request counters shared by every function instance.';
create index rate_limit_counters_window_start_idx on public.rate_limit_counters (window_start);

create trigger dialer_queue_set_updated_at before update on public.dialer_queue for each row execute function private.set_updated_at();

alter table public.customer_health_scores enable row level security;
alter table public.churn_alerts enable row level security;
alter table public.ops_alerts enable row level security;
alter table public.error_logs enable row level security;
alter table public.reconciliation_runs enable row level security;
alter table public.dialer_queue enable row level security;
alter table public.inbound_webhook_events enable row level security;
alter table public.rate_limit_counters enable row level security;

create policy "Admins read health scores" on public.customer_health_scores for select to authenticated using ((select private.acting_as_admin()));
create policy "Admins read churn alerts" on public.churn_alerts for select to authenticated using ((select private.acting_as_admin()));
create policy "Admins read ops alerts" on public.ops_alerts for select to authenticated using ((select private.acting_as_admin()));
create policy "Admins read error logs" on public.error_logs for select to authenticated using ((select private.acting_as_admin()));
create policy "Admins read reconciliation runs" on public.reconciliation_runs for select to authenticated using ((select private.acting_as_admin()));
create policy "Admins read the dialer queue" on public.dialer_queue for select to authenticated using ((select private.acting_as_admin()));
create policy "Admins read audit logs" on public.audit_logs for select to authenticated using ((select private.acting_as_admin()));
create policy "Admins read impersonation sessions" on public.impersonation_sessions for select to authenticated using ((select private.acting_as_admin()));
-- inbound_webhook_events, rate_limit_counters and app_settings have no policies: service role only.

revoke insert, update, delete, truncate on
  public.customer_health_scores, public.churn_alerts, public.ops_alerts, public.error_logs,
  public.reconciliation_runs, public.dialer_queue, public.audit_logs, public.impersonation_sessions
from anon, authenticated;
revoke all on public.inbound_webhook_events, public.rate_limit_counters, public.app_settings from anon, authenticated;

-- ---------------------------------------------------------------------------
-- Rate limiting shared by all function instances
-- ---------------------------------------------------------------------------

create function public.consume_rate_limit(bucket text, max_hits integer, window_seconds integer)
returns table (allowed boolean, retry_after_seconds integer)
language sql
volatile
set search_path = ''
as $$
  with window_bounds as (
    select to_timestamp(floor(extract(epoch from now()) / window_seconds) * window_seconds) as started
  ),
  counted as (
    insert into public.rate_limit_counters as c (bucket, window_start, hits)
    select consume_rate_limit.bucket, started, 1 from window_bounds
    on conflict (bucket, window_start) do update set hits = c.hits + 1
    returning c.hits, c.window_start
  )
  select
    hits <= max_hits,
    case when hits <= max_hits then 0
         else greatest(1, ceil(extract(epoch from window_start + make_interval(secs => window_seconds) - now()))::integer)
    end
  from counted
$$;
comment on function public.consume_rate_limit(text, integer, integer) is 'Counts one hit against a bucket in a fixed window; says whether it is allowed and, if not, when to retry.';
revoke execute on function public.consume_rate_limit(text, integer, integer) from public, anon, authenticated;
grant execute on function public.consume_rate_limit(text, integer, integer) to service_role;

create function private.prune_rate_limit_counters()
returns integer
language sql
set search_path = ''
as $$
  with pruned as (delete from public.rate_limit_counters where window_start < now() - interval '1 day' returning 1)
  select count(*)::integer from pruned
$$;
comment on function private.prune_rate_limit_counters() is 'Deletes counters of windows older than a day; run hourly by cron.';

select cron.schedule('prune-rate-limit-counters', '17 * * * *', 'select private.prune_rate_limit_counters()');
