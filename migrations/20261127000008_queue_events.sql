-- What happened to calls in queues, one row per counted event, written by the routing service
-- as its router decides. The live counters of a queue (`/queues/{id}/live`) are these rows
-- since the tenant's midnight, so live and historical figures agree; a router that starts
-- (or moves node) reloads them.
create table queue_event (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    queue_id uuid not null references queue (id) on delete cascade,
    call_id uuid not null references call (id) on delete cascade,
    -- `offered` (entered the queue), `answered`, `abandoned`, `overflowed` (left by overflow).
    kind text not null,
    -- Answered: the wait from the call's arrival in its first queue, and whether it was within
    -- the queue's service level.
    wait_ms bigint,
    in_service_level boolean,
    at timestamptz not null default now(),
    constraint queue_event_kind_check check (kind in ('offered', 'answered', 'abandoned', 'overflowed'))
);
create index queue_event_tenant_id_at_idx on queue_event (tenant_id, at);

alter table queue_event enable row level security;
alter table queue_event force row level security;
create policy queue_event_isolation on queue_event using (tenant_id = (select current_tenant_id()));
grant select, insert on queue_event to switchboard_app;

-- Every change of an agent's state, with its time and reason (a break's code, `missed`,
-- `disconnected`): the record of agents' time in each state.
create table agent_state_event (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    user_id uuid not null references app_user (id) on delete cascade,
    -- `offline`, `available`, `offered`, `on_call`, `wrap_up`, `not_ready`.
    state text not null,
    reason text,
    at timestamptz not null
);
create index agent_state_event_tenant_id_user_id_at_idx on agent_state_event (tenant_id, user_id, at);

alter table agent_state_event enable row level security;
alter table agent_state_event force row level security;
create policy agent_state_event_isolation on agent_state_event using (tenant_id = (select current_tenant_id()));
grant select, insert on agent_state_event to switchboard_app;
