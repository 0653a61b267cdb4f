-- Foundation: tenants, users, contacts, audit log, refresh tokens, API keys.
--
-- Tenant isolation has two walls. The store filters every query by the tenant of the
-- authenticated principal; these row-level security policies are the second wall. The
-- application runs as `switchboard_app`, which owns nothing, and sets the tenant per
-- transaction with `set_config('app.tenant_id', <uuid>, true)`. With no tenant set the
-- policies match no row (fail closed). Platform-admin work that crosses tenants sets
-- `app.platform = 'on'` in its own transaction; only the store's platform module does that.

-- The role is cluster-wide, so several databases (and parallel test runs) share it.
do $$
begin
    create role switchboard_app nologin;
exception
    when duplicate_object or unique_violation then null;
end
$$;

do $$
begin
    execute format('grant switchboard_app to %I', current_user);
exception
    when duplicate_object or invalid_grant_operation then null;
end
$$;

create function current_tenant_id() returns uuid
    language sql stable
    as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

create function in_platform_scope() returns boolean
    language sql stable
    as $$ select coalesce(current_setting('app.platform', true), '') = 'on' $$;

create table tenant (
    id uuid primary key,
    slug text not null,
    name text not null,
    time_zone text not null,
    locale text not null,
    country text not null,
    status text not null default 'active',
    max_concurrent_calls integer not null,
    max_agents integer not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint tenant_slug_key unique (slug),
    constraint tenant_status_check check (status in ('active', 'suspended')),
    constraint tenant_quota_check check (max_concurrent_calls >= 0 and max_agents >= 0)
);

create table app_user (
    id uuid primary key,
    tenant_id uuid references tenant (id) on delete cascade,
    email text not null,
    display_name text not null,
    role text not null,
    password_hash text not null,
    status text not null default 'active',
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint app_user_role_check
        check (role in ('platform_admin', 'tenant_admin', 'supervisor', 'agent')),
    constraint app_user_tenant_role_check check ((role = 'platform_admin') = (tenant_id is null)),
    constraint app_user_status_check check (status in ('active', 'disabled'))
);
create unique index app_user_tenant_id_email_key on app_user (tenant_id, email);
create unique index app_user_platform_email_key on app_user (email) where tenant_id is null;
create index app_user_tenant_id_role_idx on app_user (tenant_id, role, id);

create table contact (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    name text not null,
    company text,
    email text,
    notes text,
    custom_fields jsonb not null default '{}',
    -- What free-text search matches: name, company and email, lower-cased. Searched with
    -- `like` over the tenant's rows: under row-level security PostgreSQL will not use a
    -- trigram index for the non-leakproof LIKE operator, so none is kept.
    search_text text generated always as (
        lower(name || ' ' || coalesce(company, '') || ' ' || coalesce(email, ''))
    ) stored,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint contact_custom_fields_check check (jsonb_typeof(custom_fields) = 'object')
);
create index contact_tenant_id_id_idx on contact (tenant_id, id);
create index contact_tenant_id_email_idx on contact (tenant_id, email);

-- A contact's numbers, normalized to E.164, so a caller is found from any format.
create table contact_phone (
    tenant_id uuid not null,
    contact_id uuid not null,
    position integer not null,
    number text not null,
    label text,
    constraint contact_phone_pkey primary key (tenant_id, contact_id, position),
    constraint contact_phone_contact_fkey foreign key (contact_id) references contact (id) on delete cascade,
    constraint contact_phone_number_check check (number ~ '^\+[1-9][0-9]{6,14}$')
);
create index contact_phone_tenant_id_number_idx on contact_phone (tenant_id, number);

create table audit_log (
    id uuid primary key,
    tenant_id uuid references tenant (id) on delete cascade,
    actor_kind text not null,
    actor_id uuid,
    action text not null,
    target_type text not null,
    target_id uuid,
    details jsonb not null default '{}',
    source_ip text,
    created_at timestamptz not null default now(),
    constraint audit_log_actor_kind_check check (actor_kind in ('user', 'api_key', 'system'))
);
create index audit_log_tenant_id_id_idx on audit_log (tenant_id, id);

create table refresh_token (
    id uuid primary key,
    tenant_id uuid references tenant (id) on delete cascade,
    user_id uuid not null references app_user (id) on delete cascade,
    family_id uuid not null,
    token_hash bytea not null,
    expires_at timestamptz not null,
    used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now()
);
create unique index refresh_token_tenant_id_token_hash_key on refresh_token (tenant_id, token_hash);
create index refresh_token_tenant_id_family_id_idx on refresh_token (tenant_id, family_id);

create table api_key (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    name text not null,
    role text not null,
    key_hash bytea not null,
    created_by uuid references app_user (id) on delete set null,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now(),
    constraint api_key_role_check check (role in ('tenant_admin', 'supervisor', 'agent'))
);
create index api_key_tenant_id_id_idx on api_key (tenant_id, id);

-- Row-level security: the second wall. The settings are read in sub-selects so PostgreSQL
-- evaluates them once per query (an InitPlan), not once per row.
alter table tenant enable row level security;
alter table tenant force row level security;
create policy tenant_isolation on tenant
    using (id = (select current_tenant_id()) or (select in_platform_scope()));

alter table app_user enable row level security;
alter table app_user force row level security;
create policy app_user_isolation on app_user
    using (tenant_id = (select current_tenant_id()) or (select in_platform_scope()));

alter table contact enable row level security;
alter table contact force row level security;
create policy contact_isolation on contact
    using (tenant_id = (select current_tenant_id()));

alter table contact_phone enable row level security;
alter table contact_phone force row level security;
create policy contact_phone_isolation on contact_phone
    using (tenant_id = (select current_tenant_id()));

alter table audit_log enable row level security;
alter table audit_log force row level security;
create policy audit_log_isolation on audit_log
    using (tenant_id = (select current_tenant_id()) or (select in_platform_scope()));

alter table refresh_token enable row level security;
alter table refresh_token force row level security;
create policy refresh_token_isolation on refresh_token
    using (tenant_id = (select current_tenant_id()) or (tenant_id is null and (select in_platform_scope())));

alter table api_key enable row level security;
alter table api_key force row level security;
create policy api_key_isolation on api_key
    using (tenant_id = (select current_tenant_id()));

grant usage on schema public to switchboard_app;
grant select, insert, update, delete on all tables in schema public to switchboard_app;
alter default privileges in schema public
    grant select, insert, update, delete on tables to switchboard_app;
-- sqlx's bookkeeping is readable (for /readyz) but not writable by the application.
revoke insert, update, delete on _sqlx_migrations from switchboard_app;
