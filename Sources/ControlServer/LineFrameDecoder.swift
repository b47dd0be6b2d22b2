import NIOCore

/// One unit of input on a control connection.
enum ControlFrame: Sendable {
    /// A complete line without its `\n` (and without a trailing `\r`).
    case line(ByteBuffer)
    /// A line longer than the limit; its bytes were discarded up to and including its `\n`.
    case tooLong
}

/// Splits the byte stream into `\n`-terminated lines of at most `maxLength` bytes.
///
/// A longer line is not buffered: the decoder reports ``ControlFrame/tooLong`` as soon as the
/// limit is passed and then skips input up to the next `\n`, so framing is regained and the
/// connection stays usable. Memory per connection stays bounded by the limit.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ControlFrame

    let maxLength: Int
    /// Skipping the rest of an overlong line.
    private var discarding = false
    /// Bytes at the front of the buffer already searched for `\n` (so each byte is scanned once).
    private var scanned = 0

    init(maxLength: Int) {
        self.maxLength = maxLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        if let newline = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            scanned = 0
            if discarding {
                buffer.moveReaderIndex(forwardBy: length + 1)
                discarding = false
                return .continue
            }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            let frame: ControlFrame = line.readableBytes > maxLength ? .tooLong : .line(line)
            context.fireChannelRead(wrapInboundOut(frame))
            return .continue
        }
        if discarding {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            return .needMoreData
        }
        // +1 leaves room for a `\r` before the `\n` of a line of exactly the maximum length.
        if view.count > maxLength + 1 {
            context.fireChannelRead(wrapInboundOut(.tooLong))
            discarding = true
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            return .needMoreData
        }
        scanned = view.count
        return .needMoreData
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last request without its `\n` (e.g. `printf '{...}' | socat`) is still answered.
        if !discarding, buffer.readableBytes > 0, let line = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        scanned = 0
        return .needMoreData
    }
}
