//! Every string the desk shows, in English, Bulgarian and Russian. Components ask for a key;
//! no text is written in a component.

/// A language of the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Bg,
    Ru,
}

impl Lang {
    /// From a locale such as `bg` or `ru-RU`; English otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        match locale.split(['-', '_']).next() {
            Some("bg") => Lang::Bg,
            Some("ru") => Lang::Ru,
            _ => Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Bg => "bg",
            Lang::Ru => "ru",
        }
    }

    /// The text of `key`; the key itself when it has none (a missing string shows, and a
    /// test catches it).
    pub fn t(self, key: &str) -> &'static str {
        let i = match self {
            Lang::En => 0,
            Lang::Bg => 1,
            Lang::Ru => 2,
        };
        STRINGS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("?", |(_, texts)| texts[i])
    }
}

/// key, then English, Bulgarian, Russian.
const STRINGS: &[(&str, [&str; 3])] = &[
    (
        "app",
        [
            "Switchboard agent desk",
            "Switchboard – работно място",
            "Switchboard – рабочее место",
        ],
    ),
    ("language", ["Language", "Език", "Язык"]),
    ("company", ["Company", "Компания", "Компания"]),
    ("email", ["Email", "Имейл", "Эл. почта"]),
    ("password", ["Password", "Парола", "Пароль"]),
    ("sign_in", ["Sign in", "Вход", "Войти"]),
    ("sign_out", ["Sign out", "Изход", "Выйти"]),
    (
        "sign_in_failed",
        [
            "Wrong company, email or password.",
            "Грешна компания, имейл или парола.",
            "Неверная компания, почта или пароль.",
        ],
    ),
    ("state", ["Status", "Състояние", "Статус"]),
    ("available", ["Available", "На разположение", "Доступен"]),
    ("break", ["Break", "Почивка", "Перерыв"]),
    ("offline", ["Offline", "Извън линия", "Не в сети"]),
    ("offered", ["Ringing", "Звъни", "Звонок"]),
    ("on_call", ["On a call", "В разговор", "Разговор"]),
    ("wrap_up", ["Wrap-up", "Приключване", "Завершение"]),
    ("not_ready", ["Not ready", "Не е готов", "Не готов"]),
    ("busy", ["Busy", "Зает", "Занят"]),
    (
        "missed",
        ["missed a call", "пропуснато обаждане", "пропущенный звонок"],
    ),
    (
        "disconnected",
        ["connection lost", "връзката прекъсна", "связь потеряна"],
    ),
    ("reason", ["Reason", "Причина", "Причина"]),
    ("lunch", ["Lunch", "Обяд", "Обед"]),
    ("training", ["Training", "Обучение", "Обучение"]),
    ("meeting", ["Meeting", "Среща", "Встреча"]),
    ("in_state_for", ["for", "от", "уже"]),
    ("my_queues", ["Queues", "Опашки", "Очереди"]),
    ("media", ["Audio", "Звук", "Звук"]),
    ("media_connected", ["connected", "свързан", "подключен"]),
    (
        "media_connecting",
        ["connecting…", "свързване…", "подключение…"],
    ),
    ("quality", ["Call quality", "Качество", "Качество"]),
    ("quality_good", ["good", "добро", "хорошее"]),
    ("quality_fair", ["fair", "средно", "среднее"]),
    ("quality_poor", ["poor", "лошо", "плохое"]),
    ("jitter", ["jitter", "трептене", "джиттер"]),
    ("loss", ["loss", "загуби", "потери"]),
    (
        "incoming",
        ["Incoming call", "Входящо обаждане", "Входящий звонок"],
    ),
    ("from", ["From", "От", "От"]),
    (
        "dialled",
        ["Number called", "Набран номер", "Набранный номер"],
    ),
    ("queue", ["Queue", "Опашка", "Очередь"]),
    (
        "ivr_choices",
        ["Chose in the menu", "Избор в менюто", "Выбор в меню"],
    ),
    ("answer", ["Answer", "Приеми", "Ответить"]),
    ("refuse", ["Refuse", "Откажи", "Отклонить"]),
    ("hang_up", ["Hang up", "Затвори", "Завершить"]),
    ("hold", ["Hold", "Задръж", "Удержать"]),
    ("resume", ["Resume", "Продължи", "Продолжить"]),
    ("mute", ["Mute", "Без звук", "Выкл. микрофон"]),
    ("unmute", ["Unmute", "Със звук", "Вкл. микрофон"]),
    ("dial", ["Dial out", "Избиране", "Набор номера"]),
    (
        "number_to_dial",
        ["Number to call", "Номер за набиране", "Номер для звонка"],
    ),
    ("call", ["Call", "Обади се", "Позвонить"]),
    ("dialing", ["Calling…", "Набиране…", "Вызов…"]),
    ("transfer", ["Transfer", "Прехвърляне", "Перевод"]),
    ("escalate", ["Escalate", "Ескалирай", "Эскалировать"]),
    ("transfer_queue", ["To queue", "Към опашка", "В очередь"]),
    (
        "send_to_queue",
        [
            "Send to queue",
            "Прехвърли към опашката",
            "Перевести в очередь",
        ],
    ),
    ("colleague", ["Colleague", "Колега", "Коллега"]),
    ("consult", ["Consult", "Консултирай се", "Консультация"]),
    (
        "complete_transfer",
        [
            "Complete transfer",
            "Завърши прехвърлянето",
            "Завершить перевод",
        ],
    ),
    ("conference", ["Conference", "Конференция", "Конференция"]),
    (
        "return_to_caller",
        [
            "Return to caller",
            "Обратно към клиента",
            "Вернуться к клиенту",
        ],
    ),
    ("consulting", ["Consulting", "Консултация", "Консультация"]),
    (
        "transfer_to_colleague",
        [
            "Transfer to colleague",
            "Прехвърли към колегата",
            "Перевести на коллегу",
        ],
    ),
    (
        "transfer_number",
        [
            "Number to transfer to",
            "Номер за прехвърляне",
            "Номер для перевода",
        ],
    ),
    (
        "transfer_to_number",
        [
            "Transfer to number",
            "Прехвърли към номера",
            "Перевести на номер",
        ],
    ),
    (
        "transferring",
        [
            "Transferring… the caller hears music",
            "Прехвърляне… клиентът слуша музика",
            "Перевод… клиент слышит музыку",
        ],
    ),
    (
        "cancel_transfer",
        [
            "Cancel transfer",
            "Откажи прехвърлянето",
            "Отменить перевод",
        ],
    ),
    ("keypad", ["Keypad", "Клавиатура", "Клавиатура"]),
    ("connected", ["Connected", "Свързан", "Соединено"]),
    ("no_call", ["No call", "Няма обаждане", "Нет звонка"]),
    ("customer", ["Customer", "Клиент", "Клиент"]),
    (
        "unknown_caller",
        ["Unknown caller", "Непознат номер", "Неизвестный номер"],
    ),
    (
        "new_contact",
        ["New contact", "Нов контакт", "Новый контакт"],
    ),
    ("name", ["Name", "Име", "Имя"]),
    ("company_name", ["Company name", "Фирма", "Компания"]),
    ("notes", ["Notes", "Бележки", "Заметки"]),
    (
        "contact_notes",
        ["About the customer", "За клиента", "О клиенте"],
    ),
    (
        "call_notes",
        [
            "Notes on this call",
            "Бележки за обаждането",
            "Заметки о звонке",
        ],
    ),
    (
        "save_contact",
        ["Save contact", "Запази контакта", "Сохранить контакт"],
    ),
    ("saved", ["Saved", "Запазено", "Сохранено"]),
    (
        "history",
        ["Earlier calls", "Предишни обаждания", "Прошлые звонки"],
    ),
    (
        "no_history",
        [
            "No earlier calls",
            "Няма предишни обаждания",
            "Прошлых звонков нет",
        ],
    ),
    ("date", ["Date", "Дата", "Дата"]),
    ("direction", ["Direction", "Посока", "Направление"]),
    ("inbound", ["in", "входящо", "входящий"]),
    ("outbound", ["out", "изходящо", "исходящий"]),
    ("agent", ["Agent", "Оператор", "Оператор"]),
    ("duration", ["Duration", "Продължителност", "Длительность"]),
    ("disposition", ["Disposition", "Резултат", "Результат"]),
    (
        "follow_up",
        [
            "Follow-up needed",
            "Нужно е последващо действие",
            "Нужен повторный контакт",
        ],
    ),
    (
        "play_recording",
        ["Play recording", "Пусни записа", "Прослушать запись"],
    ),
    ("script", ["Script", "Сценарий", "Сценарий"]),
    (
        "no_script",
        [
            "No script for this queue",
            "Няма сценарий за тази опашка",
            "Нет сценария для этой очереди",
        ],
    ),
    (
        "wrap_up_title",
        ["Wrap-up", "Приключване на обаждането", "Завершение звонка"],
    ),
    ("choose", ["Choose…", "Изберете…", "Выберите…"]),
    (
        "finish",
        [
            "Save and finish",
            "Запази и приключи",
            "Сохранить и завершить",
        ],
    ),
    (
        "more_time",
        ["More time (60 s)", "Още време (60 s)", "Ещё время (60 с)"],
    ),
    (
        "audio_settings",
        ["Audio settings", "Настройки на звука", "Настройки звука"],
    ),
    ("microphone", ["Microphone", "Микрофон", "Микрофон"]),
    ("headset", ["Headset", "Слушалки", "Гарнитура"]),
    ("ringtone_on", ["Ringtone on", "Мелодия на", "Звонок на"]),
    (
        "default_device",
        ["Default", "По подразбиране", "По умолчанию"],
    ),
    (
        "mic_level",
        ["Microphone level", "Ниво на микрофона", "Уровень микрофона"],
    ),
    (
        "replaced",
        [
            "This desk was opened in another tab or device; this one is closed.",
            "Работното място е отворено в друг раздел или устройство; това е затворено.",
            "Рабочее место открыто в другой вкладке или на другом устройстве; это закрыто.",
        ],
    ),
    (
        "take_over",
        [
            "Use this tab",
            "Използвай този раздел",
            "Использовать эту вкладку",
        ],
    ),
    ("error", ["Error", "Грешка", "Ошибка"]),
    (
        "shortcuts",
        [
            "Keys: Alt+A answer, Alt+H hang up, Alt+M mute, Alt+O hold",
            "Клавиши: Alt+A приеми, Alt+H затвори, Alt+M без звук, Alt+O задръж",
            "Клавиши: Alt+A ответить, Alt+H завершить, Alt+M микрофон, Alt+O удержание",
        ],
    ),
    (
        "supervisor",
        ["Queues now", "Опашките сега", "Очереди сейчас"],
    ),
    ("waiting", ["Waiting", "Чакащи", "Ожидают"]),
    (
        "service_level",
        ["Service level", "Ниво на обслужване", "Уровень сервиса"],
    ),
    ("answered", ["Answered", "Отговорени", "Отвечено"]),
    ("abandoned", ["Abandoned", "Изоставени", "Брошено"]),
    ("agents", ["Agents", "Оператори", "Операторы"]),
    ("listen", ["Listen", "Слушай", "Слушать"]),
    ("whisper", ["Whisper", "Шепни", "Подсказать"]),
    ("barge", ["Barge in", "Включи се", "Вмешаться"]),
    ("stop_monitoring", ["Stop", "Спри", "Стоп"]),
    (
        "make_available",
        [
            "Make available",
            "Направи на разположение",
            "Сделать доступным",
        ],
    ),
    (
        "make_break",
        ["Put on break", "Дай почивка", "Отправить на перерыв"],
    ),
    (
        "make_offline",
        ["Set offline", "Изведи от линия", "Отключить"],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_three_non_empty_texts_and_is_unique() {
        for (i, (key, texts)) in STRINGS.iter().enumerate() {
            assert!(texts.iter().all(|t| !t.is_empty()), "{key}");
            assert!(
                STRINGS[i + 1..].iter().all(|(k, _)| k != key),
                "{key} twice"
            );
        }
        assert_eq!(Lang::Bg.t("answer"), "Приеми");
        assert_eq!(Lang::from_locale("ru-RU"), Lang::Ru);
        assert_eq!(Lang::En.t("no such key"), "?");
    }
}
