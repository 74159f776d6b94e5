//! The run the app shows, and how it is driven: on a training thread of its
//! own where there are threads (native), so training uses one core while
//! the window draws on the other; or in a slice of each frame where there
//! are none (the web). Either way the app sends [`Command`]s and reads the
//! latest [`SessionView`] without waiting; it never reaches into the run.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;

use super::schedule::LabSet;
use crate::config::{Config, ConfigSource, load_config};
use crate::run::Run;
use crate::run::session::{Command, Event, Session, SessionView};

/// The latest snapshot of the run: what every view reads this frame.
#[derive(Resource, Clone)]
pub struct Lab(pub Arc<SessionView>);

impl std::ops::Deref for Lab {
    type Target = SessionView;
    fn deref(&self) -> &SessionView {
        &self.0
    }
}

/// The settings as the controls have them; sent to the run when they
/// differ from what it runs.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct DraftConfig(pub Config);

/// A problem to show the user: a setting that could not be applied, a file
/// that could not be read. The session goes on regardless.
#[derive(Resource, Clone, Debug, Default)]
pub struct Notice {
    pub message: Option<String>,
}

/// A command for the run.
#[derive(Message, Clone, Debug)]
pub struct RunCommand(pub Command);

/// A problem for the status line, from anywhere in the app.
#[derive(Message, Clone, Debug)]
pub struct NoticeMessage(pub String);

/// The session's answer when it could not apply a setting or a command,
/// for a feature waiting on that command (the message is also the notice).
#[derive(Message, Clone, Debug)]
pub struct SessionRefused(pub String);

/// A saved experiment's bytes, answered to [`Command::Save`].
#[derive(Message, Clone, Debug)]
pub struct SavedExperiment(pub Arc<Vec<u8>>);

/// Where the run lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Driving {
    /// On a thread of its own (native default).
    #[default]
    Thread,
    /// In a slice of each frame: the web, and tests that count steps.
    Frame,
}

/// How the app reaches its session: a thread, or the session itself.
#[derive(Resource)]
enum Driver {
    #[cfg(not(target_arch = "wasm32"))]
    Thread(thread::SessionThread),
    Frame {
        session: Box<Session>,
        budget: std::time::Duration,
    },
}

pub struct SessionPlugin {
    pub initial: Config,
    pub driving: Driving,
    /// A saved run to go on with instead of a new run of `initial`
    /// (`--experiment`), taken when the plugin is built: a fresh run built
    /// first and replaced at once cost MNIST's CNN seconds of opening.
    pub resumed: Mutex<Option<Box<Run>>>,
}

impl SessionPlugin {
    pub fn new(initial: Config) -> Self {
        Self { initial, driving: Driving::default(), resumed: Mutex::new(None) }
    }

    /// The session of a saved run, where it stopped.
    pub fn resuming(run: Box<Run>) -> Self {
        Self { initial: run.config().clone(), driving: Driving::default(), resumed: Mutex::new(Some(run)) }
    }
}

/// The share of a frame the web's in-frame training may take.
pub const FRAME_BUDGET: std::time::Duration = std::time::Duration::from_millis(12);

impl Plugin for SessionPlugin {
    fn build(&self, app: &mut App) {
        if self.driving == Driving::Thread {
            // The window draws on a CPU of its own: a batch spread over
            // every CPU (a convolution's) starved the drawing on two.
            crate::nn::parallel::reserve_cpus(1);
        }
        let resumed = self.resumed.lock().ok().and_then(|mut resumed| resumed.take());
        let started = match resumed {
            Some(run) => Ok(Session::with_run(*run)),
            None => Session::new(self.initial.clone()),
        };
        let (mut session, notice) = match started {
            Ok(session) => (session, Notice::default()),
            Err(error) => {
                // The caller validated the config; if the data still cannot
                // be built (a CSV deleted meanwhile), start from the default.
                let fallback = load_config(&ConfigSource::Preset("playground".into()), &[]).expect("the default preset is valid");
                (Session::new(fallback).expect("the default preset builds"), Notice { message: Some(error.to_string()) })
            }
        };
        let view = Arc::new(session.view());
        let driver = match self.driving {
            #[cfg(not(target_arch = "wasm32"))]
            Driving::Thread => Driver::Thread(thread::SessionThread::spawn(session, Arc::clone(&view))),
            _ => Driver::Frame { session: Box::new(session), budget: FRAME_BUDGET },
        };
        app.insert_resource(DraftConfig(view.config.clone()))
            .insert_resource(Lab(view))
            .insert_resource(notice)
            .insert_resource(driver)
            .add_message::<RunCommand>()
            .add_message::<SavedExperiment>()
            .add_message::<NoticeMessage>()
            .add_message::<SessionRefused>()
            .add_systems(Update, (send_draft.in_set(LabSet::ApplyChanges), drive.in_set(LabSet::Train)));
    }
}

/// Sends the draft to the run when the controls changed a setting.
fn send_draft(draft: Res<DraftConfig>, lab: Res<Lab>, mut commands: MessageWriter<RunCommand>) {
    if draft.is_changed() && draft.0 != lab.config {
        commands.write(RunCommand(Command::Apply(Box::new(draft.0.clone()))));
    }
}

/// Hands this frame's commands to the run, lets it train (in-frame
/// driving), and takes its latest snapshot and events.
fn drive(
    mut driver: ResMut<Driver>,
    mut commands: MessageReader<RunCommand>,
    mut lab: ResMut<Lab>,
    mut draft: ResMut<DraftConfig>,
    mut notice: ResMut<Notice>,
    mut notices: MessageReader<NoticeMessage>,
    (mut saved, mut refused): (MessageWriter<SavedExperiment>, MessageWriter<SessionRefused>),
) {
    if let Some(NoticeMessage(message)) = notices.read().last() {
        notice.message = Some(message.clone());
    }
    let commands: Vec<Command> = commands.read().map(|c| c.0.clone()).collect();
    // A settings command (a preset, a lesson step) also sets the draft.
    for command in &commands {
        if let Command::Apply(config) | Command::Restart(config) = command {
            draft.bypass_change_detection().0 = (**config).clone();
        }
    }
    let (view, events) = match &mut *driver {
        #[cfg(not(target_arch = "wasm32"))]
        Driver::Thread(thread) => thread.exchange(commands),
        Driver::Frame { session, budget } => {
            for command in commands {
                session.handle(command);
            }
            session.advance(*budget);
            (Some(Arc::new(session.view())), session.take_events())
        }
    };
    for event in events {
        match event {
            Event::Refused(message) => {
                refused.write(SessionRefused(message.clone()));
                notice.message = Some(message);
            }
            Event::Applied => notice.message = None,
            Event::Saved(bytes) => {
                saved.write(SavedExperiment(bytes));
            }
        }
    }
    if let Some(view) = view {
        if view.generation != lab.generation && !draft.is_changed() {
            // A loaded file or a rebuild: the controls show what runs.
            draft.bypass_change_detection().0 = view.config.clone();
        }
        lab.0 = view;
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod thread {
    //! The training thread: it owns the session, takes commands from a
    //! channel, trains in slices, and after each slice publishes a snapshot
    //! that the app picks up without waiting.

    use std::sync::mpsc::{Receiver, Sender, channel};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use crate::run::session::{Command, Event, Session, SessionView};

    /// A training slice: long enough to amortise a snapshot, short enough
    /// for commands to feel immediate.
    const SLICE: Duration = Duration::from_millis(15);

    struct Shared {
        view: Mutex<Option<Arc<SessionView>>>,
        events: Mutex<Vec<Event>>,
    }

    pub struct SessionThread {
        commands: Sender<Command>,
        shared: Arc<Shared>,
    }

    impl SessionThread {
        pub fn spawn(session: Session, _first: Arc<SessionView>) -> Self {
            let (commands, received) = channel();
            let shared = Arc::new(Shared { view: Mutex::new(None), events: Mutex::new(Vec::new()) });
            let worker = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("training".into())
                .spawn(move || train(session, received, worker))
                .expect("the training thread starts");
            Self { commands, shared }
        }

        /// Sends commands; returns the newest snapshot since the last call,
        /// if any, and the events.
        pub fn exchange(&mut self, commands: Vec<Command>) -> (Option<Arc<SessionView>>, Vec<Event>) {
            for command in commands {
                // The thread only ends when this handle is dropped.
                let _ = self.commands.send(command);
            }
            let view = self.shared.view.lock().expect("never poisoned").take();
            let events = std::mem::take(&mut *self.shared.events.lock().expect("never poisoned"));
            (view, events)
        }
    }

    fn train(mut session: Session, commands: Receiver<Command>, shared: Arc<Shared>) {
        loop {
            // While idle, wait for a command instead of spinning.
            let first = match session.idle_for() {
                None => match commands.recv() {
                    Ok(command) => Some(command),
                    Err(_) => return,
                },
                Some(wait) if wait > Duration::ZERO => match commands.recv_timeout(wait.min(SLICE)) {
                    Ok(command) => Some(command),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                },
                Some(_) => None,
            };
            for command in first.into_iter().chain(commands.try_iter()) {
                session.handle(command);
            }
            session.advance(SLICE);
            let view = Arc::new(session.view());
            *shared.view.lock().expect("never poisoned") = Some(view);
            let events = session.take_events();
            if !events.is_empty() {
                shared.events.lock().expect("never poisoned").extend(events);
            }
        }
    }
}
