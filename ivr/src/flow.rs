//! Flow graphs and their validation.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A flow: named nodes and the one the call starts at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// The name of the node a call starts at.
    pub start: String,
    /// Every node, by name.
    pub nodes: BTreeMap<String, Node>,
}

/// A node of a flow. Edges are node names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Node {
    /// Play a prompt, then go on.
    Play {
        /// The name of the prompt to play.
        prompt: String,
        /// The node to go to when it has played.
        next: String,
    },
    /// Play a prompt and wait for one key: a digit picks the next node. No key within the
    /// timeout, or a key with no option, replays the prompt, up to `retries` times, then
    /// goes to `fallback`.
    Menu {
        /// The name of the prompt that lists the options.
        prompt: String,
        /// The node each key (0-9, `*`, `#`) goes to.
        options: BTreeMap<char, String>,
        /// How long to wait for a key after the prompt, in seconds (1-60, 5 by default).
        #[serde(default = "default_timeout")]
        timeout_secs: u32,
        /// How many times the prompt is replayed before `fallback` (2 by default).
        #[serde(default = "default_retries")]
        retries: u8,
        /// Played before a retry after a wrong key.
        #[serde(default)]
        invalid_prompt: Option<String>,
        /// The node to go to when the retries are used up.
        fallback: String,
    },
    /// Play a prompt and collect up to `max_digits` keys (ended early by `#`) into a
    /// variable, e.g. a customer number.
    Collect {
        /// The name of the prompt that asks for the digits.
        prompt: String,
        /// The variable the digits are stored in.
        variable: String,
        /// The most digits to collect (1-32); the last one ends collecting.
        max_digits: u8,
        /// How long to wait for the next key, in seconds (1-60, 5 by default); the digits so
        /// far are kept when it passes.
        #[serde(default = "default_timeout")]
        timeout_secs: u32,
        /// The node to go to once the digits are collected.
        next: String,
    },
    /// Open or closed now, by one of the tenant's schedules.
    Hours {
        /// The id of the tenant's schedule to check.
        schedule: String,
        /// The node to go to when the schedule is open.
        open: String,
        /// The node to go to when it is closed.
        closed: String,
    },
    /// Set the caller's priority in the queue (higher goes first).
    SetPriority {
        /// The caller's new priority.
        priority: i32,
        /// The node to go to next.
        next: String,
    },
    /// Set a variable (shown to the agent, used by scripts).
    SetVariable {
        /// The variable's name.
        name: String,
        /// The value to set it to.
        value: String,
        /// The node to go to next.
        next: String,
    },
    /// Leave the flow into a queue.
    Queue {
        /// The id of the queue.
        queue: String,
    },
    /// Leave the flow to one agent.
    Agent {
        /// The id of the agent.
        agent: String,
    },
    /// Play a prompt (if any) and hang up.
    Hangup {
        /// The name of the prompt to play before hanging up, if any.
        #[serde(default)]
        prompt: Option<String>,
    },
}

fn default_timeout() -> u32 {
    5
}

fn default_retries() -> u8 {
    2
}

/// Why a flow cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowError {
    /// `start` names no node.
    NoStart(String),
    /// A node points at a node that does not exist.
    Dangling {
        /// The node with the edge.
        node: String,
        /// The missing node it points at.
        to: String,
    },
    /// A node cannot be reached from `start`.
    Unreachable(String),
    /// A loop in which the caller is never asked for input would run forever.
    LoopWithoutInput(Vec<String>),
    /// A value is out of range (a menu key that is not a key, zero digits...).
    Invalid {
        /// The node with the value.
        node: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowError::NoStart(s) => write!(f, "the start node {s:?} does not exist"),
            FlowError::Dangling { node, to } => {
                write!(f, "node {node:?} points at {to:?}, which does not exist")
            }
            FlowError::Unreachable(n) => write!(f, "node {n:?} cannot be reached from the start"),
            FlowError::LoopWithoutInput(nodes) => write!(
                f,
                "the loop {} never asks the caller for input",
                nodes.join(" -> ")
            ),
            FlowError::Invalid { node, reason } => write!(f, "node {node:?}: {reason}"),
        }
    }
}

impl std::error::Error for FlowError {}

impl Node {
    /// The nodes this one can go to.
    pub fn edges(&self) -> Vec<&str> {
        match self {
            Node::Play { next, .. }
            | Node::Collect { next, .. }
            | Node::SetPriority { next, .. }
            | Node::SetVariable { next, .. } => vec![next],
            Node::Menu {
                options, fallback, ..
            } => options
                .values()
                .map(String::as_str)
                .chain([fallback.as_str()])
                .collect(),
            Node::Hours { open, closed, .. } => vec![open, closed],
            Node::Queue { .. } | Node::Agent { .. } | Node::Hangup { .. } => Vec::new(),
        }
    }

    /// Whether the caller is asked for input here (a loop through such a node waits on them).
    fn waits_for_input(&self) -> bool {
        matches!(self, Node::Menu { .. } | Node::Collect { .. })
    }
}

impl Flow {
    /// Every rule a saved flow keeps: the start exists, no dangling edges, every node
    /// reachable, no loop without input, values in range. All problems are listed.
    pub fn validate(&self) -> Result<(), Vec<FlowError>> {
        let mut errors = Vec::new();
        if !self.nodes.contains_key(&self.start) {
            errors.push(FlowError::NoStart(self.start.clone()));
        }
        for (name, node) in &self.nodes {
            for to in node.edges() {
                if !self.nodes.contains_key(to) {
                    errors.push(FlowError::Dangling {
                        node: name.clone(),
                        to: to.to_owned(),
                    });
                }
            }
            let invalid = |reason: &str| FlowError::Invalid {
                node: name.clone(),
                reason: reason.to_owned(),
            };
            match node {
                Node::Menu {
                    options,
                    timeout_secs,
                    ..
                } => {
                    if options.is_empty() {
                        errors.push(invalid("a menu needs at least one option"));
                    }
                    if options
                        .keys()
                        .any(|k| !(k.is_ascii_digit() || *k == '*' || *k == '#'))
                    {
                        errors.push(invalid("menu keys are 0-9, * and #"));
                    }
                    if !(1..=60).contains(timeout_secs) {
                        errors.push(invalid("the timeout is 1-60 s"));
                    }
                }
                Node::Collect {
                    max_digits,
                    timeout_secs,
                    variable,
                    ..
                } => {
                    if !(1..=32).contains(max_digits) {
                        errors.push(invalid("collect 1-32 digits"));
                    }
                    if !(1..=60).contains(timeout_secs) {
                        errors.push(invalid("the timeout is 1-60 s"));
                    }
                    if variable.is_empty() {
                        errors.push(invalid("the variable needs a name"));
                    }
                }
                _ => {}
            }
        }
        if errors.is_empty() {
            // Reachability from the start.
            let mut seen = BTreeSet::new();
            let mut stack = vec![self.start.as_str()];
            while let Some(n) = stack.pop() {
                if seen.insert(n) {
                    stack.extend(self.nodes.get(n).map(Node::edges).unwrap_or_default());
                }
            }
            for name in self.nodes.keys() {
                if !seen.contains(name.as_str()) {
                    errors.push(FlowError::Unreachable(name.clone()));
                }
            }
            if let Some(cycle) = self.loop_without_input() {
                errors.push(FlowError::LoopWithoutInput(cycle));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// A cycle among the nodes that do not wait for input, if there is one (depth-first
    /// search with colours on the graph without the input nodes).
    fn loop_without_input(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Colour {
            White,
            Grey,
            Black,
        }
        let mut colour: BTreeMap<&str, Colour> = self
            .nodes
            .iter()
            .filter(|(_, n)| !n.waits_for_input())
            .map(|(k, _)| (k.as_str(), Colour::White))
            .collect();
        let names: Vec<&str> = colour.keys().copied().collect();
        for root in names {
            if colour[root] != Colour::White {
                continue;
            }
            // An explicit stack of (node, next edge index) and the current path.
            let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
            colour.insert(root, Colour::Grey);
            while let Some((node, i)) = stack.pop() {
                let edges = self.nodes.get(node).map(Node::edges).unwrap_or_default();
                if let Some(next) = edges.get(i).copied() {
                    stack.push((node, i + 1));
                    match colour.get(next).copied() {
                        Some(Colour::White) => {
                            colour.insert(next, Colour::Grey);
                            stack.push((next, 0));
                        }
                        Some(Colour::Grey) => {
                            let mut cycle: Vec<String> = stack
                                .iter()
                                .map(|(n, _)| (*n).to_owned())
                                .skip_while(|n| n != next)
                                .collect();
                            cycle.push(next.to_owned());
                            return Some(cycle);
                        }
                        _ => {}
                    }
                } else {
                    colour.insert(node, Colour::Black);
                }
            }
        }
        None
    }
}
