import FuzzSIPTarget
import FuzzTargets

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    SIPFuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_cdecl("fuzz_sip_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.runLibFuzzer(argc, argv, testOneInput)
}
#else
@main
enum Replay {
    static func main() { FuzzDriver.replayMain("fuzz-sip", SIPFuzzTarget.run) }
}
#endif
