-- Calls answered by agents in their browsers: numbers may ring one agent directly, and a
-- call record names its agent, its recording and the recording's paused spans.

alter table phone_number drop constraint phone_number_destination_check;
alter table phone_number add constraint phone_number_destination_check check (
    destination in ('echo', 'prompt_dtmf')
    or destination ~ '^agent:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
);

alter table call add column agent_id uuid references app_user (id) on delete set null;
-- The recording's key in the recording store (never a path a client sees).
alter table call add column recording_key text;
-- Spans the agent paused the recording for (card numbers): [{"from_ms", "to_ms"}].
alter table call add column recording_pauses jsonb not null default '[]';

create index call_tenant_id_agent_id_idx on call (tenant_id, agent_id, started_at);
