// MediaTestSupport
