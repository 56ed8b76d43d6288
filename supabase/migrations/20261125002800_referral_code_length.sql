-- Eight hex characters collide between two of 100,000 businesses more often than not, and a
-- colliding default fails the sign-up. Twelve make a collision a one-in-tens-of-thousands event
-- at that size.
alter table public.profiles
  alter column referral_code set default upper(substr(md5(gen_random_uuid()::text), 1, 12));
