-- Queues and who serves them. A queue may require a skill at a minimum level; agents' levels
-- are in agent_skill.

create table queue (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    name text not null,
    strategy text not null default 'longest_idle',
    -- Across queues, higher goes first.
    priority integer not null default 0,
    skill_id uuid references skill (id) on delete set null,
    min_level smallint not null default 1,
    ring_timeout_secs integer not null default 20,
    wrap_up_secs integer not null default 30,
    max_wait_secs integer,
    max_len integer,
    -- Where calls go past max_wait/max_len: another queue, else they leave the router.
    overflow_queue_id uuid references queue (id) on delete set null,
    announce_every_secs integer,
    service_level_secs integer not null default 20,
    -- Percent of calls to answer within service_level_secs.
    service_level_target integer not null default 80,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint queue_tenant_id_name_key unique (tenant_id, name),
    constraint queue_strategy_check check (strategy in ('longest_idle', 'round_robin', 'fewest_calls', 'skills', 'ring_all')),
    constraint queue_min_level_check check (min_level between 1 and 5),
    constraint queue_ring_timeout_check check (ring_timeout_secs between 5 and 300),
    constraint queue_wrap_up_check check (wrap_up_secs between 0 and 3600),
    constraint queue_max_wait_check check (max_wait_secs between 10 and 86400),
    constraint queue_max_len_check check (max_len between 1 and 100000),
    constraint queue_announce_check check (announce_every_secs between 15 and 600),
    constraint queue_service_level_check check (service_level_secs between 1 and 600),
    constraint queue_service_level_target_check check (service_level_target between 1 and 100)
);

create table queue_member (
    tenant_id uuid not null references tenant (id) on delete cascade,
    queue_id uuid not null references queue (id) on delete cascade,
    user_id uuid not null references app_user (id) on delete cascade,
    constraint queue_member_pkey primary key (tenant_id, queue_id, user_id)
);
create index queue_member_tenant_id_user_id_idx on queue_member (tenant_id, user_id);

alter table queue enable row level security;
alter table queue force row level security;
-- Platform scope sees queues too: a number is pointed at a queue by a platform admin.
create policy queue_isolation on queue
    using (tenant_id = (select current_tenant_id()) or (select in_platform_scope()));
alter table queue_member enable row level security;
alter table queue_member force row level security;
create policy queue_member_isolation on queue_member using (tenant_id = (select current_tenant_id()));

grant select, insert, update, delete on queue, queue_member to switchboard_app;
