"""Running prompts: fan-out to models, timing, cancellation, and the fold from events to view state."""
