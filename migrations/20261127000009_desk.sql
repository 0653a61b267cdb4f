-- The agent desktop: disposition codes, call scripts per queue, and the wrap-up an agent
-- writes on the call record (disposition, notes, follow-up).
create table disposition (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    code text not null,
    label text not null,
    -- Offered only after calls of this queue; none: after every call.
    queue_id uuid references queue (id) on delete cascade,
    created_at timestamptz not null default now(),
    constraint disposition_tenant_id_code_key unique (tenant_id, code)
);

create table script (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    queue_id uuid not null references queue (id) on delete cascade,
    -- What the agent says first (the client company's greeting, for outsourcers).
    greeting text not null,
    -- Steps, one a line; `{contact.name}`, `{ivr.account}`... are filled in on the desk.
    body text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint script_tenant_id_queue_id_key unique (tenant_id, queue_id)
);

alter table call add column disposition text;
alter table call add column notes text;
alter table call add column follow_up boolean not null default false;
alter table call add column wrapped_up_at timestamptz;
create index call_tenant_id_from_number_idx on call (tenant_id, from_number, started_at);
create index call_tenant_id_to_number_idx on call (tenant_id, to_number, started_at);

alter table disposition enable row level security;
alter table disposition force row level security;
create policy disposition_isolation on disposition using (tenant_id = (select current_tenant_id()));
alter table script enable row level security;
alter table script force row level security;
create policy script_isolation on script using (tenant_id = (select current_tenant_id()));
grant select, insert, update, delete on disposition, script to switchboard_app;
