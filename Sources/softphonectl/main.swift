import ArgumentParser
import Foundation

// Exit status (SPEC §4): 0 success, 1 the daemon answered with an error, 2 usage, 3 cannot connect.
// Argument parsing errors would exit with EX_USAGE (64); they are mapped to 2 here.

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("softphonectl: \(message)\n".utf8))
    exit(status)
}

do {
    var command = try Softphonectl.parseAsRoot()
    try command.run()
    exit(0)
} catch let error as ClientError {
    switch error.kind {
    case .daemon:
        FileHandle.standardError.write(Data("\(error.description)\n".utf8))
        exit(1)
    case .connect:
        fail(error.description, status: 3)
    case .protocolFailure:
        fail(error.description, status: 1)
    }
} catch {
    let code = Softphonectl.exitCode(for: error)
    let message = Softphonectl.fullMessage(for: error)
    if code == .success {
        print(message)
        exit(0)
    }
    FileHandle.standardError.write(Data("\(message)\n".utf8))
    exit(code == .validationFailure ? 2 : code.rawValue)
}
