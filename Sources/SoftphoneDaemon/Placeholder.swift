// SoftphoneDaemon
