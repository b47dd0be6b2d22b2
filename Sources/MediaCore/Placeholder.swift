// MediaCore
