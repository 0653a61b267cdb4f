-- Numbers may point at a queue (`queue:<id>`), besides the built-in services and agents.
alter table phone_number drop constraint phone_number_destination_check;
alter table phone_number add constraint phone_number_destination_check check (
    destination in ('echo', 'prompt_dtmf')
    or destination ~ '^(agent|queue):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
);
