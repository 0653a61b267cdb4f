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
