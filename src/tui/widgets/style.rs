//! Colours for the screens. Under NO_COLOR (`color` false) nothing is coloured; bold, reverse and underline
//! still mark what matters.

use ratatui::style::{Color, Style};

/// `color` as the foreground, or the plain style without colours.
pub fn fg(color_on: bool, color: Color) -> Style {
    if color_on { Style::default().fg(color) } else { Style::default() }
}

/// A label's colour from margin.toml: a name (`red`, `light-blue`, ...) or `#rrggbb`; white otherwise.
pub fn label_color(name: Option<&str>) -> Color {
    match name.unwrap_or("white") {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" => Color::Gray,
        "dark-gray" => Color::DarkGray,
        "light-red" => Color::LightRed,
        "light-green" => Color::LightGreen,
        "light-yellow" => Color::LightYellow,
        "light-blue" => Color::LightBlue,
        "light-magenta" => Color::LightMagenta,
        "light-cyan" => Color::LightCyan,
        hex if hex.len() == 7 && hex.starts_with('#') => {
            let v = u32::from_str_radix(&hex[1..], 16).unwrap_or(0xffffff);
            Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
        }
        _ => Color::White,
    }
}
