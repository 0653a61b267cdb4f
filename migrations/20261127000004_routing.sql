-- Routing: skills, business-hours schedules, queues and their members, IVR flows and the
-- blacklist. Every table is a tenant's, with row-level security like the others.

create table skill (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    name text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint skill_tenant_id_name_key unique (tenant_id, name)
);

create table agent_skill (
    tenant_id uuid not null references tenant (id) on delete cascade,
    user_id uuid not null references app_user (id) on delete cascade,
    skill_id uuid not null references skill (id) on delete cascade,
    level smallint not null,
    constraint agent_skill_pkey primary key (tenant_id, user_id, skill_id),
    constraint agent_skill_level_check check (level between 1 and 5)
);

create table schedule (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    name text not null,
    -- {time_zone, weekly, holidays, overrides}, validated by the server before it is stored.
    hours jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint schedule_tenant_id_name_key unique (tenant_id, name)
);

create table ivr_flow (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    name text not null,
    -- {start, nodes}, validated by the server before it is stored.
    flow jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint ivr_flow_tenant_id_name_key unique (tenant_id, name)
);

create table blocked_number (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    -- An E.164 number, or a prefix ending in `*` (`+1900*`).
    pattern text not null,
    reason text,
    -- busy (486) or silent (603, declined without a word). A spoken message comes with the
    -- routing service's announcements.
    treatment text not null default 'busy',
    expires_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint blocked_number_tenant_id_pattern_key unique (tenant_id, pattern),
    constraint blocked_number_pattern_check check (pattern ~ '^\+[0-9]{1,15}\*?$'),
    constraint blocked_number_treatment_check check (treatment in ('busy', 'silent'))
);

alter table skill enable row level security;
alter table skill force row level security;
create policy skill_isolation on skill using (tenant_id = (select current_tenant_id()));
alter table agent_skill enable row level security;
alter table agent_skill force row level security;
create policy agent_skill_isolation on agent_skill using (tenant_id = (select current_tenant_id()));
alter table schedule enable row level security;
alter table schedule force row level security;
create policy schedule_isolation on schedule using (tenant_id = (select current_tenant_id()));
alter table ivr_flow enable row level security;
alter table ivr_flow force row level security;
create policy ivr_flow_isolation on ivr_flow using (tenant_id = (select current_tenant_id()));
alter table blocked_number enable row level security;
alter table blocked_number force row level security;
create policy blocked_number_isolation on blocked_number using (tenant_id = (select current_tenant_id()));

grant select, insert, update, delete on skill, agent_skill, schedule, ivr_flow, blocked_number to switchboard_app;
