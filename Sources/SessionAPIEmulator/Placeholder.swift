// SessionAPIEmulator
