-- The tenant's break reason codes, in the order agents see them. A tenant with none uses the
-- built-in lunch, training and meeting.
create table break_reason (
    tenant_id uuid not null references tenant (id) on delete cascade,
    code text not null,
    label text not null,
    position integer not null,
    primary key (tenant_id, code)
);

alter table break_reason enable row level security;
alter table break_reason force row level security;
create policy break_reason_isolation on break_reason using (tenant_id = (select current_tenant_id()));
grant select, insert, update, delete on break_reason to switchboard_app;
