-- Telephony: SIP trunks, phone numbers and call records.
--
-- Trunks belong to the platform (a carrier connection), optionally dedicated to one tenant.
-- Numbers belong to exactly one tenant each. An inbound call finds its trunk by source address
-- and its number by the dialled digits before any tenant is known, so the SIP edge reads these
-- two tables in platform scope; everything after that runs in the tenant's scope.

create table trunk (
    id uuid primary key,
    -- A trunk dedicated to one tenant; null for a shared carrier trunk.
    tenant_id uuid references tenant (id) on delete cascade,
    name text not null,
    -- Inbound identification: source addresses (CIDR) allowed to send us calls...
    inbound_cidrs text[] not null default '{}',
    -- ...or digest credentials the carrier authenticates with.
    inbound_username text,
    inbound_ha1 text,
    -- Outbound: where to send INVITEs (host or host:port) and how to authenticate.
    outbound_proxy text,
    outbound_transport text not null default 'udp',
    outbound_username text,
    outbound_password text,
    -- Optional registration to the carrier.
    register boolean not null default false,
    register_expires_secs integer not null default 600,
    -- OPTIONS keep-alive interval; 0 disables it.
    options_interval_secs integer not null default 30,
    -- Caller-ID rules for outbound calls: a fixed number, or pass-through.
    caller_id text,
    channel_limit integer not null default 30,
    -- Liveness from the keep-alive: up, down, unknown.
    status text not null default 'unknown',
    status_changed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint trunk_name_key unique (name),
    constraint trunk_outbound_transport_check check (outbound_transport in ('udp', 'tcp', 'tls')),
    constraint trunk_status_check check (status in ('up', 'down', 'unknown')),
    constraint trunk_channel_limit_check check (channel_limit >= 0),
    constraint trunk_register_expires_check check (register_expires_secs between 60 and 86400),
    constraint trunk_options_interval_check check (options_interval_secs between 0 and 3600)
);
create index trunk_tenant_id_idx on trunk (tenant_id, id);

create table phone_number (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    number text not null,
    -- Where calls go: a built-in service now; IVR flows, queues and agents later.
    destination text not null,
    label text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint phone_number_number_key unique (number),
    constraint phone_number_number_check check (number ~ '^\+[1-9][0-9]{6,14}$'),
    constraint phone_number_destination_check check (destination in ('echo', 'prompt_dtmf'))
);
create index phone_number_tenant_id_number_idx on phone_number (tenant_id, number);

create table call (
    id uuid primary key,
    tenant_id uuid not null references tenant (id) on delete cascade,
    direction text not null,
    trunk_id uuid references trunk (id) on delete set null,
    number_id uuid references phone_number (id) on delete set null,
    -- Caller and callee as E.164 where they parse, else as received.
    from_number text not null,
    to_number text not null,
    sip_call_id text not null,
    started_at timestamptz not null,
    answered_at timestamptz,
    ended_at timestamptz,
    duration_ms bigint,
    -- answered, no_answer, busy, cancelled, rejected, failed, max_duration, crashed
    hangup_cause text,
    -- caller, callee, system
    hangup_side text,
    -- The final SIP response code of the INVITE (200 for answered calls).
    sip_code integer,
    codec text,
    -- Digits the caller pressed (the prompt + DTMF test records them here).
    dtmf_digits text not null default '',
    -- Reception quality: packets, loss, jitter, MOS estimate.
    quality jsonb not null default '{}',
    -- The node that carries the call; a record left open by a crashed node is closed at start.
    node text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint call_direction_check check (direction in ('inbound', 'outbound')),
    constraint call_hangup_side_check check (hangup_side in ('caller', 'callee', 'system'))
);
create index call_tenant_id_id_idx on call (tenant_id, id);
create index call_tenant_id_started_at_idx on call (tenant_id, started_at);
create index call_open_idx on call (node) where ended_at is null;

-- Prompts a tenant recorded to replace the defaults, as uploaded (WAV).
create table prompt (
    tenant_id uuid not null references tenant (id) on delete cascade,
    name text not null,
    audio bytea not null,
    duration_ms integer not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint prompt_pkey primary key (tenant_id, name),
    constraint prompt_name_check check (name in ('enter-digits'))
);

alter table prompt enable row level security;
alter table prompt force row level security;
create policy prompt_isolation on prompt
    using (tenant_id = (select current_tenant_id()));

alter table trunk enable row level security;
alter table trunk force row level security;
create policy trunk_isolation on trunk
    using (tenant_id = (select current_tenant_id()) or (select in_platform_scope()));

alter table phone_number enable row level security;
alter table phone_number force row level security;
create policy phone_number_isolation on phone_number
    using (tenant_id = (select current_tenant_id()) or (select in_platform_scope()));

alter table call enable row level security;
alter table call force row level security;
create policy call_isolation on call
    using (tenant_id = (select current_tenant_id()) or (select in_platform_scope()));

grant select, insert, update, delete on trunk, phone_number, call, prompt to switchboard_app;
