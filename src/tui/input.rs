//! Keys and mouse: popups take keys first, then the key map turns a key into [`Action`]s,
//! which act on the focused pane.

use botui::train::{LogLevel, TrainCommand};

use super::app::{App, EditTarget, Effect, InputBox, MouseMsg, PaneId, Popup, Tab};
use super::eval::EvalView;
use super::layout::{inner, list_offset};
use super::run::{Phase, RunState};
use super::setup::{SetupRow, checked_edit};
use super::tricks::Item;
use botui::config::{Action, KeyChord, KeyCode};

impl App {
    pub(super) fn on_key(&mut self, chord: KeyChord) -> Vec<Effect> {
        match self.popup.take() {
            Some(Popup::Input(input)) => return self.on_input_key(input, chord),
            Some(Popup::ConfirmQuit) => {
                return match chord.code {
                    KeyCode::Char('y' | 'Y') | KeyCode::Enter => self.confirm_quit(),
                    _ => Vec::new(), // any other key cancels
                };
            }
            Some(Popup::Help) => return Vec::new(),
            Some(Popup::Presets { selected }) => return self.on_picker_key(selected, chord),
            Some(Popup::Eval(view)) => return self.on_eval_key(view, chord),
            None => {}
        }
        let mut effects = Vec::new();
        for action in self.keys.actions(chord) {
            effects.extend(self.on_action(action));
        }
        effects
    }

    pub fn on_action(&mut self, action: Action) -> Vec<Effect> {
        let phase = self.run.as_ref().map(|r| r.phase.clone());
        match action {
            Action::Quit if self.busy() => self.popup = Some(Popup::ConfirmQuit),
            Action::Quit => return vec![Effect::Quit],
            Action::Help => self.popup = Some(Popup::Help),
            // On the Study tab, start and stop act on the study.
            Action::Start if self.tab == Tab::Study => return self.start_study(),
            Action::Stop if self.tab == Tab::Study && self.study.is_active() => {
                return if self.stop_study() {
                    vec![Effect::StopStudy]
                } else {
                    Vec::new()
                };
            }
            Action::Start => return self.start(),
            Action::Pause if phase == Some(Phase::Running) => {
                return vec![Effect::Command(TrainCommand::Pause)];
            }
            Action::Resume if phase == Some(Phase::Paused) => {
                return vec![Effect::Command(TrainCommand::Resume)];
            }
            Action::Stop if self.run.as_ref().is_some_and(|r| r.can_stop()) => {
                if let Some(run) = self.run.as_mut() {
                    run.request_stop();
                }
                return vec![Effect::Command(TrainCommand::Stop)];
            }
            Action::SaveNow if matches!(phase, Some(Phase::Running | Phase::Paused)) => {
                self.note(LogLevel::Info, "checkpoint requested");
                return vec![Effect::Command(TrainCommand::SaveNow)];
            }
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(-1),
            Action::TabSetup => self.tab = Tab::Setup,
            Action::TabTrain => self.tab = Tab::Train,
            Action::TabRuns => self.tab = Tab::Runs,
            Action::TabStudy => self.tab = Tab::Study,
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::Left => return self.step(-1),
            Action::Right => return self.step(1),
            Action::Toggle => return self.toggle(),
            Action::Edit => return self.edit(),
            Action::OpenEditor => return vec![Effect::OpenEditor],
            Action::SavePreset => {
                let name = if self.config.name.is_empty() {
                    "my-preset".to_string()
                } else {
                    format!("{}-mine", self.config.name)
                };
                self.open_input(EditTarget::PresetName, "save the setup as preset", name);
            }
            Action::Scale => self.lr_log_scale = !self.lr_log_scale,
            Action::Evaluate => return self.evaluate(),
            _ => {}
        }
        Vec::new()
    }

    fn start(&mut self) -> Vec<Effect> {
        if self.run_active() {
            self.note(
                LogLevel::Warning,
                "a run is already training: stop it first",
            );
            return Vec::new();
        }
        if self.study.is_active() {
            self.note(
                LogLevel::Warning,
                "a study is running: stop it (Study tab) before starting a run",
            );
            return Vec::new();
        }
        if let Err(invalid) = self.config.validate() {
            for v in invalid.0 {
                self.note(LogLevel::Error, format!("cannot start: {v}"));
            }
            return Vec::new();
        }
        self.run = Some(RunState::starting(self.config.clone()));
        self.tab = Tab::Train;
        vec![Effect::StartRun(Box::new(self.config.clone()))]
    }

    /// Evaluates the selected past run (on the Runs tab) in the background, in a popup.
    fn evaluate(&mut self) -> Vec<Effect> {
        if self.tab != Tab::Runs {
            return Vec::new();
        }
        let Some(run) = self.runs.list.get(self.runs.selected) else {
            self.note(LogLevel::Warning, "no past run to evaluate");
            return Vec::new();
        };
        let path = run.path.clone();
        self.popup = Some(Popup::Eval(EvalView::start(run.label())));
        vec![Effect::StartEval(path)]
    }

    /// Esc (or a quit key) closes the eval popup, cancelling the evaluation if it still runs.
    fn on_eval_key(&mut self, view: EvalView, chord: KeyChord) -> Vec<Effect> {
        let close = chord.code == KeyCode::Esc || self.keys.actions(chord).contains(&Action::Quit);
        if !close {
            self.popup = Some(Popup::Eval(view));
            return Vec::new();
        }
        if view.is_running() {
            self.note(
                LogLevel::Info,
                format!("evaluation of {} cancelled", view.run()),
            );
            return vec![Effect::CancelEval];
        }
        Vec::new()
    }

    fn confirm_quit(&mut self) -> Vec<Effect> {
        if !self.busy() {
            return vec![Effect::Quit];
        }
        self.quitting = true;
        let mut effects = Vec::new();
        if self.run.as_mut().is_some_and(RunState::request_stop) {
            effects.push(Effect::Command(TrainCommand::Stop));
        }
        if self.stop_study() {
            effects.push(Effect::StopStudy);
        }
        effects
    }

    fn move_by(&mut self, d: i32) {
        let clamp = |i: usize, n: usize| (i as i32 + d).clamp(0, n.max(1) as i32 - 1) as usize;
        match self.focused() {
            PaneId::Setup => self.setup_row = clamp(self.setup_row, SetupRow::ALL.len()),
            PaneId::Tricks => self.trick_row = clamp(self.trick_row, self.trick_items().len()),
            PaneId::Log => self.log.scroll_by(-d),
            PaneId::RunList => self.runs.move_by(d),
            PaneId::StudyList => self.study.move_by(d),
            PaneId::StudyTable | PaneId::StudyCurves => self.study.move_row(d),
            _ => {}
        }
    }

    /// Applies an edit of the next run's config, or says why it was refused.
    fn edit_config(
        &mut self,
        key: &str,
        edit: impl FnOnce(&mut botui::config::RunConfig) -> Result<(), String>,
    ) -> Result<Vec<Effect>, String> {
        let next = checked_edit(&self.config, key, edit)?;
        if next == self.config {
            return Ok(Vec::new());
        }
        self.set_config(next);
        Ok(vec![Effect::WriteConfig])
    }

    fn report(&mut self, result: Result<Vec<Effect>, String>) -> Vec<Effect> {
        result.unwrap_or_else(|e| {
            self.note(LogLevel::Warning, e);
            Vec::new()
        })
    }

    fn step(&mut self, d: i32) -> Vec<Effect> {
        match self.focused() {
            PaneId::Setup => {
                let row = SetupRow::ALL[self.setup_row];
                if row == SetupRow::Preset {
                    return self.step_preset(d);
                }
                let devices = self.devices.clone();
                let r = self.edit_config(row.key(), |c| {
                    row.step(c, d, &devices);
                    Ok(())
                });
                self.report(r)
            }
            PaneId::Tricks => match self.trick_items().get(self.trick_row) {
                Some(Item::Param(_, p)) => {
                    let p = *p;
                    let r = self.edit_config(p.key, |c| {
                        *c = p.stepped(c, d)?;
                        Ok(())
                    });
                    self.report(r)
                }
                _ => Vec::new(),
            },
            PaneId::Log => {
                self.log.scroll_by(-d * 10);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn toggle(&mut self) -> Vec<Effect> {
        match self.focused() {
            PaneId::Tricks => {
                let Some(t) = self
                    .trick_items()
                    .get(self.trick_row)
                    .and_then(|i| i.trick())
                else {
                    return Vec::new();
                };
                if !t.applies(&self.config) {
                    let model = self.config.model.name;
                    self.note(
                        LogLevel::Warning,
                        format!("{} is {}, not {model}", t.label, t.scope.models()),
                    );
                    return Vec::new();
                }
                let r = self.edit_config(t.switch.key(), |c| {
                    *c = t.toggled(c)?;
                    Ok(())
                });
                self.report(r)
            }
            PaneId::RunList => {
                self.runs.toggle_compare();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn edit(&mut self) -> Vec<Effect> {
        match self.focused() {
            PaneId::Setup => {
                let row = SetupRow::ALL[self.setup_row];
                if row == SetupRow::Preset {
                    let selected = self.preset_index().unwrap_or(0);
                    self.popup = Some(Popup::Presets { selected });
                } else {
                    let value = match row {
                        SetupRow::Input => self.config.model.input.to_string(),
                        SetupRow::Model => self.config.model.name.to_string(),
                        _ => row.value(&self.config),
                    };
                    self.open_input(EditTarget::Setup(row), row.label(), value);
                }
                Vec::new()
            }
            PaneId::Tricks => match self.trick_items().get(self.trick_row).copied() {
                Some(Item::Param(_, p)) => {
                    self.open_input(EditTarget::Param(p), p.label, p.text(&self.config));
                    Vec::new()
                }
                Some(Item::Trick(_)) => self.toggle(),
                Some(Item::Group(_)) | None => Vec::new(),
            },
            PaneId::RunList => {
                self.runs.open_selected();
                Vec::new()
            }
            PaneId::StudyList => self.start_study(),
            _ => Vec::new(),
        }
    }

    fn open_input(&mut self, target: EditTarget, title: &str, value: String) {
        self.popup = Some(Popup::Input(InputBox {
            target,
            title: title.to_string(),
            buffer: value,
            error: None,
        }));
    }

    fn on_input_key(&mut self, mut input: InputBox, chord: KeyChord) -> Vec<Effect> {
        match chord.code {
            KeyCode::Esc => return Vec::new(),
            KeyCode::Enter => {
                let text = input.buffer.clone();
                let result = match input.target {
                    EditTarget::Setup(row) => self.edit_config(row.key(), |c| row.set(c, &text)),
                    EditTarget::Param(p) => self.edit_config(p.key, |c| {
                        *c = p.set_text(c, &text)?;
                        Ok(())
                    }),
                    EditTarget::PresetName => {
                        preset_name(&text).map(|n| vec![Effect::SavePreset(n)])
                    }
                };
                match result {
                    Ok(effects) => return effects,
                    Err(e) => input.error = Some(e),
                }
            }
            KeyCode::Backspace => {
                input.buffer.pop();
                input.error = None;
            }
            KeyCode::Char(c) if !chord.mods.ctrl && !chord.mods.alt => {
                input.buffer.push(c);
                input.error = None;
            }
            _ => {}
        }
        self.popup = Some(Popup::Input(input));
        Vec::new()
    }

    fn preset_index(&self) -> Option<usize> {
        let name = self.preset.as_deref()?;
        self.presets.iter().position(|p| p.name == name)
    }

    fn apply_preset(&mut self, index: usize) -> Vec<Effect> {
        let Some(p) = self.presets.get(index).cloned() else {
            return Vec::new();
        };
        self.preset = Some(p.name.clone());
        self.set_config(p.config);
        vec![Effect::WriteConfig]
    }

    fn step_preset(&mut self, d: i32) -> Vec<Effect> {
        if self.presets.is_empty() {
            return Vec::new();
        }
        let n = self.presets.len() as i32;
        let i = self
            .preset_index()
            .map_or(if d > 0 { -1 } else { 0 }, |i| i as i32);
        self.apply_preset((i + d).rem_euclid(n) as usize)
    }

    fn on_picker_key(&mut self, selected: usize, chord: KeyChord) -> Vec<Effect> {
        let n = self.presets.len();
        let actions = self.keys.actions(chord);
        let mut selected = selected;
        if chord.code == KeyCode::Esc {
            return Vec::new();
        }
        if chord.code == KeyCode::Enter {
            return self.apply_preset(selected);
        }
        if actions.contains(&Action::Up) {
            selected = selected.saturating_sub(1);
        } else if actions.contains(&Action::Down) {
            selected = (selected + 1).min(n.saturating_sub(1));
        } else if actions.contains(&Action::Quit) {
            return Vec::new();
        }
        self.popup = Some(Popup::Presets { selected });
        Vec::new()
    }

    pub(super) fn on_mouse(&mut self, m: MouseMsg) -> Vec<Effect> {
        if !self.ui.mouse {
            return Vec::new();
        }
        if self.popup.is_some() {
            if matches!(m, MouseMsg::Click { .. }) && self.popup == Some(Popup::Help) {
                self.popup = None;
            }
            return Vec::new();
        }
        let areas = self.areas();
        let (column, row) = match m {
            MouseMsg::Click { column, row }
            | MouseMsg::ScrollUp { column, row }
            | MouseMsg::ScrollDown { column, row } => (column, row),
        };
        if let Some((tab, _)) = areas
            .tabs
            .iter()
            .find(|(_, r)| r.contains((column, row).into()))
        {
            self.tab = *tab;
            return Vec::new();
        }
        let Some((pane, area)) = areas.pane_at(column, row) else {
            return Vec::new();
        };
        self.set_focus(pane);
        match m {
            MouseMsg::ScrollUp { .. } => self.move_by(-1),
            MouseMsg::ScrollDown { .. } => self.move_by(1),
            MouseMsg::Click { .. } => return self.click(pane, area, column, row),
        }
        Vec::new()
    }

    fn click(
        &mut self,
        pane: PaneId,
        area: ratatui::layout::Rect,
        column: u16,
        row: u16,
    ) -> Vec<Effect> {
        let inside = inner(area);
        if row < inside.y || row >= inside.y + inside.height {
            return Vec::new();
        }
        let line = (row - inside.y) as usize;
        match pane {
            PaneId::Setup if line < SetupRow::ALL.len() => self.setup_row = line,
            PaneId::Tricks => {
                let n = self.trick_items().len();
                let i = list_offset(self.trick_row, n, inside.height as usize) + line;
                if i < n {
                    self.trick_row = i;
                    // The checkbox itself toggles.
                    if column < inside.x + 5 {
                        return self.toggle();
                    }
                }
            }
            PaneId::RunList if line >= 1 => {
                let n = self.runs.list.len();
                let h = inside.height.saturating_sub(1) as usize;
                let i = list_offset(self.runs.selected, n, h) + line - 1;
                if i < n {
                    if self.runs.selected == i {
                        self.runs.open_selected();
                    }
                    self.runs.selected = i;
                }
            }
            PaneId::StudyList => {
                let n = self.study.list.len();
                let h = inside.height.saturating_sub(6) as usize;
                let i = list_offset(self.study.selected, n, h) + line;
                if line < h && i < n {
                    self.study.selected = i;
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

/// A user preset's name: letters, digits, `-` and `_` (it becomes `presets/NAME.toml`).
fn preset_name(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("a preset needs a name".into());
    }
    if let Some(bad) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "`{bad}` cannot be in a preset name (letters, digits, - and _)"
        ));
    }
    Ok(t.to_string())
}
