-- Numbers may point at an IVR flow (`flow:<id>`); calls keep the queue they waited in and
-- what the caller chose and entered in the IVR.
alter table phone_number drop constraint phone_number_destination_check;
alter table phone_number add constraint phone_number_destination_check check (
    destination in ('echo', 'prompt_dtmf')
    or destination ~ '^(agent|queue|flow):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
);

-- Platform scope sees flows too: a number is pointed at a flow by a platform admin.
drop policy ivr_flow_isolation on ivr_flow;
create policy ivr_flow_isolation on ivr_flow
    using (tenant_id = (select current_tenant_id()) or (select in_platform_scope()));

alter table call add column queue_id uuid references queue (id) on delete set null;
-- {"choices": [{"node": "menu", "key": "2"}], "variables": {"account": "1234"}}
alter table call add column ivr jsonb;

-- Announcements may come every 10 s (short queues with fast service).
alter table queue drop constraint queue_announce_check;
alter table queue add constraint queue_announce_check check (announce_every_secs between 10 and 600);

-- A blocked caller may hear a prompt before the call ends.
alter table blocked_number drop constraint blocked_number_treatment_check;
alter table blocked_number add constraint blocked_number_treatment_check
    check (treatment in ('busy', 'silent', 'prompt'));
