-- Extensions the product relies on: pg_cron for schedules, pg_net for calls to Edge Functions from
-- SQL (triggers and cron jobs), pgcrypto for random tokens and digests.
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;
create extension if not exists pgcrypto with schema extensions;

grant usage on schema cron to postgres;
