-- Hosted Supabase enables Vault in every project.
create extension if not exists supabase_vault;
