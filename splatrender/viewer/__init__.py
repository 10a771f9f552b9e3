"""Desktop viewer: a glfw window (through rendercanvas), camera controls and a HUD."""
