/// An offer softphoned has sent and whose answer it awaits: the keys it offered (the one
/// whose tag the answer picks becomes the sending key) and the parameters it offered with.
public struct PendingOffer: Sendable, Equatable {
    public var local: LocalMediaParameters
    /// One sending key per offered `a=crypto` line; line `i` has tag `i + 1`.
    public var offeredKeys: [SRTPMasterKey]

    public init(local: LocalMediaParameters, offeredKeys: [SRTPMasterKey]) {
        self.local = local
        self.offeredKeys = offeredKeys
    }

    /// The offered key with RFC 4568 tag `tag`, if any.
    public func key(tag: Int) -> SRTPMasterKey? {
        guard tag >= 1, tag <= offeredKeys.count else { return nil }
        return offeredKeys[tag - 1]
    }
}
