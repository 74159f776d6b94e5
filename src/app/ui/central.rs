//! The centre of the window: the network, or a view that is about the
//! whole run (its replicas, its waves), chosen by tabs above it.

use bevy_egui::egui;

use crate::data::InputPlane;
use crate::i18n::Localizer;
use crate::run::session::SessionView;
use crate::tr;

/// What the centre of the window shows. The replicas and waves are views
/// of their own there, not windows over the network: they hid most of it
/// anyway, and under a software renderer the replicas window drawn over
/// the diagram cost about a fifth of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CentralView {
    /// The network diagram (or the digits view, for images).
    #[default]
    Network,
    Replicas,
    /// Modular addition only.
    Waves,
}

impl CentralView {
    /// The view a run starts in: the one its preset is about.
    pub fn suggested_for(lab: &SessionView) -> Self {
        if matches!(lab.data.plane, InputPlane::Pairs { .. }) {
            Self::Waves
        } else if lab.networks.len() > 1 {
            Self::Replicas
        } else {
            Self::Network
        }
    }

    /// Whether this run can show the view.
    pub fn applies_to(self, lab: &SessionView) -> bool {
        self != Self::Waves || matches!(lab.data.plane, InputPlane::Pairs { .. })
    }

    /// Switched from the run bar or a key: on, or back to the network.
    pub fn toggled(self, view: Self) -> Self {
        if self == view { Self::Network } else { view }
    }
}

/// The tabs above the centre.
pub fn tabs(ui: &mut egui::Ui, tr: &Localizer, lab: &SessionView, shown: &mut CentralView) {
    let views = [
        (CentralView::Network, tr!(tr, "view-network"), tr!(tr, "view-network-tooltip")),
        (CentralView::Replicas, tr!(tr, "view-replicas"), tr!(tr, "view-replicas-tooltip")),
        (CentralView::Waves, tr!(tr, "view-waves"), tr!(tr, "view-waves-tooltip")),
    ];
    ui.horizontal(|ui| {
        for (view, name, tooltip) in views {
            if view.applies_to(lab) {
                ui.selectable_value(shown, view, name).on_hover_text(tooltip);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};
    use crate::run::session::Session;

    fn view_of(preset: &str) -> SessionView {
        Session::new(load_config(&ConfigSource::Preset(preset.into()), &[]).unwrap()).unwrap().view()
    }

    #[test]
    fn a_run_opens_on_what_its_preset_is_about() {
        let (playground, replicas, grokking) = (view_of("playground"), view_of("homogenisation"), view_of("grokking"));
        assert_eq!(CentralView::suggested_for(&playground), CentralView::Network);
        assert_eq!(CentralView::suggested_for(&replicas), CentralView::Replicas);
        assert_eq!(CentralView::suggested_for(&grokking), CentralView::Waves);
        assert!(!CentralView::Waves.applies_to(&playground), "waves are of modular addition");
        assert!(CentralView::Replicas.applies_to(&playground), "the replicas view is where replicas are added");
        assert_eq!(CentralView::Network.toggled(CentralView::Replicas), CentralView::Replicas);
        assert_eq!(CentralView::Replicas.toggled(CentralView::Replicas), CentralView::Network, "the same button goes back");
        assert_eq!(CentralView::Replicas.toggled(CentralView::Waves), CentralView::Waves);
    }
}
