//! One call's walk through a flow.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::flow::{Flow, Node};

/// Where the call goes when it leaves the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Into a queue, with the caller's priority.
    Queue {
        /// The id of the queue (from the flow's queue node).
        queue: String,
        /// The caller's priority (higher goes first; 0 unless the flow set it).
        priority: i32,
    },
    /// To one agent.
    Agent {
        /// The id of the agent (from the flow's agent node).
        agent: String,
    },
    /// Hang up (after the node's prompt, which has played).
    Hangup,
}

/// What the call's driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Play a prompt; report [`Interpreter::prompt_done`] when it has played.
    Play(String),
    /// Stop the prompt playing now (the caller pressed a key).
    StopPrompt,
    /// Tell [`Interpreter::hours`] whether this schedule is open now.
    CheckHours(String),
    /// The call leaves the flow, with what the caller chose and entered.
    Done {
        /// Where the call goes.
        route: Route,
        /// The variables set or collected in the flow, by name.
        variables: BTreeMap<String, String>,
        /// The keys pressed at each menu, in order (shown to the agent).
        choices: Vec<(String, char)>,
    },
}

/// A runaway flow (impossible after validation, but input can come from an old flow) ends
/// after this many steps without input.
const MAX_STEPS: u32 = 1000;

#[derive(Debug)]
enum State {
    /// Playing a prompt; then `next` (or, when `None`, the node's own wait).
    Playing {
        queue: VecDeque<String>,
    },
    /// Waiting for keys until the deadline.
    Listening {
        deadline: Instant,
    },
    WaitingHours,
    Done,
}

/// One call in a flow.
#[derive(Debug)]
pub struct Interpreter {
    flow: Arc<Flow>,
    node: String,
    state: State,
    variables: BTreeMap<String, String>,
    choices: Vec<(String, char)>,
    priority: i32,
    digits: String,
    attempts: u8,
    steps: u32,
    out: VecDeque<Action>,
}

impl Interpreter {
    /// Start a call at the flow's start node.
    pub fn start(flow: Arc<Flow>) -> Interpreter {
        let start = flow.start.clone();
        let mut i = Interpreter {
            flow,
            node: String::new(),
            state: State::Done,
            variables: BTreeMap::new(),
            choices: Vec::new(),
            priority: 0,
            digits: String::new(),
            attempts: 0,
            steps: 0,
            out: VecDeque::new(),
        };
        i.enter(&start);
        i
    }

    fn done(&mut self, route: Route) {
        self.state = State::Done;
        self.out.push_back(Action::Done {
            route,
            variables: std::mem::take(&mut self.variables),
            choices: std::mem::take(&mut self.choices),
        });
    }

    fn play(&mut self, prompts: impl IntoIterator<Item = String>) {
        let mut queue: VecDeque<String> = prompts.into_iter().collect();
        match queue.pop_front() {
            Some(first) => {
                self.out.push_back(Action::Play(first));
                self.state = State::Playing { queue };
            }
            None => self.state = State::Playing { queue },
        }
    }

    fn enter(&mut self, name: &str) {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return self.done(Route::Hangup);
        }
        let Some(node) = self.flow.nodes.get(name).cloned() else {
            // A validated flow has no dangling edge; an edited one might: end cleanly.
            return self.done(Route::Hangup);
        };
        self.node = name.to_owned();
        self.digits.clear();
        if matches!(node, Node::Menu { .. } | Node::Collect { .. }) {
            self.attempts = 0;
        }
        match node {
            Node::Play { prompt, .. }
            | Node::Menu { prompt, .. }
            | Node::Collect { prompt, .. } => self.play([prompt]),
            Node::Hours { schedule, .. } => {
                self.state = State::WaitingHours;
                self.out.push_back(Action::CheckHours(schedule));
            }
            Node::SetPriority { priority, next } => {
                self.priority = priority;
                self.enter(&next);
            }
            Node::SetVariable { name, value, next } => {
                self.variables.insert(name, value);
                self.enter(&next);
            }
            Node::Queue { queue } => self.done(Route::Queue {
                queue,
                priority: self.priority,
            }),
            Node::Agent { agent } => self.done(Route::Agent { agent }),
            Node::Hangup { prompt: Some(p) } => self.play([p]),
            Node::Hangup { prompt: None } => self.done(Route::Hangup),
        }
    }

    fn current(&self) -> Option<Node> {
        self.flow.nodes.get(&self.node).cloned()
    }

    fn listen(&mut self, now: Instant) {
        let timeout = match self.current() {
            Some(Node::Menu { timeout_secs, .. } | Node::Collect { timeout_secs, .. }) => {
                timeout_secs
            }
            _ => 5,
        };
        self.state = State::Listening {
            deadline: now + Duration::from_secs(u64::from(timeout)),
        };
    }

    /// The prompt that was playing has ended.
    pub fn prompt_done(&mut self, now: Instant) {
        let State::Playing { queue } = &mut self.state else {
            return;
        };
        if let Some(next) = queue.pop_front() {
            self.out.push_back(Action::Play(next));
            return;
        }
        match self.current() {
            Some(Node::Play { next, .. }) => self.enter(&next),
            Some(Node::Menu { .. } | Node::Collect { .. }) => self.listen(now),
            _ => self.done(Route::Hangup),
        }
    }

    /// The caller pressed `key` (0-9, *, #).
    pub fn key(&mut self, now: Instant, key: char) {
        let listening = match &self.state {
            State::Listening { .. } => true,
            // Keys during a menu's or collect's prompt interrupt it (barge-in).
            State::Playing { .. } => matches!(
                self.current(),
                Some(Node::Menu { .. } | Node::Collect { .. })
            ),
            _ => false,
        };
        if !listening {
            return;
        }
        if matches!(self.state, State::Playing { .. }) {
            self.out.push_back(Action::StopPrompt);
        }
        match self.current() {
            Some(Node::Menu {
                options,
                retries,
                invalid_prompt,
                prompt,
                fallback,
                ..
            }) => match options.get(&key) {
                Some(next) => {
                    self.choices.push((self.node.clone(), key));
                    let next = next.clone();
                    self.enter(&next);
                }
                None => {
                    self.attempts += 1;
                    if self.attempts > retries {
                        self.enter(&fallback);
                    } else {
                        self.play(invalid_prompt.into_iter().chain([prompt]));
                    }
                }
            },
            Some(Node::Collect {
                variable,
                max_digits,
                next,
                ..
            }) => {
                if key == '#' {
                    self.finish_collect(&variable, &next);
                } else {
                    self.digits.push(key);
                    if self.digits.len() >= usize::from(max_digits) {
                        self.finish_collect(&variable, &next);
                    } else {
                        // The timeout runs from the last key.
                        self.listen(now);
                    }
                }
            }
            _ => {}
        }
    }

    fn finish_collect(&mut self, variable: &str, next: &str) {
        let digits = std::mem::take(&mut self.digits);
        self.variables.insert(variable.to_owned(), digits);
        self.enter(next);
    }

    /// The answer to [`Action::CheckHours`].
    pub fn hours(&mut self, open: bool) {
        if !matches!(self.state, State::WaitingHours) {
            return;
        }
        if let Some(Node::Hours {
            open: o, closed, ..
        }) = self.current()
        {
            self.enter(if open { &o } else { &closed });
        }
    }

    /// Let time pass to `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let State::Listening { deadline } = self.state else {
            return;
        };
        if now < deadline {
            return;
        }
        match self.current() {
            Some(Node::Menu {
                retries,
                prompt,
                fallback,
                ..
            }) => {
                self.attempts += 1;
                if self.attempts > retries {
                    self.enter(&fallback);
                } else {
                    self.play([prompt]);
                }
            }
            Some(Node::Collect { variable, next, .. }) => self.finish_collect(&variable, &next),
            _ => self.done(Route::Hangup),
        }
    }

    /// When [`Interpreter::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Listening { deadline } => Some(deadline),
            _ => None,
        }
    }

    /// The next action.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.out.pop_front()
    }

    /// Whether the call has left the flow.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// The call's priority so far.
    pub fn priority(&self) -> i32 {
        self.priority
    }
}
