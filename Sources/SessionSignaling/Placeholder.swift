// SessionSignaling
