// SPDX-License-Identifier: MIT
// Waymark's on-chain location registry: geohash-prefix regions, venues, kiosks (locators),
// batch commits (one storage slot each) and the lazily evaluated venue exposure status.
pragma solidity ^0.8.24;

contract WaymarkRegistry {
    enum Status {
        Empty,
        Clean,
        Infected
    }

    /// Why a venue's status changed (carried by StatusChanged).
    enum Reason {
        FirstBatch,
        ExposureReported,
        Cleaned,
        ExposureExpired
    }

    /// One slot per kiosk: the venue it serves, its next batch sequence number and flags.
    struct Kiosk {
        uint64 venueId;
        uint64 nextSeq;
        bool active;
        bool committed; // has committed at least one batch for its current venue
    }

    struct Venue {
        // slot 0
        address operator;
        bytes9 geohash;
        bool hasBatches;
        // slot 1
        bytes9 region;
        uint40 infectedUntil; // Infected while block.timestamp < infectedUntil
        uint40 exposureFrom; // latest reported window
        uint40 exposureTo;
        uint40 cleanedAt;
        // slot 2
        bytes32 metadataHash;
    }

    /// One slot per venue: its occupancy policy and whether a kiosk reported it above capacity.
    struct Capacity {
        uint32 capacity; // people; 0 = no policy
        uint32 minMinutes; // above capacity for at least this long before a kiosk reports it
        uint40 overSince; // start of the reported crowding, 0 while not over capacity
        uint32 occupancy; // occupancy in the latest crossing report
    }

    // ---- errors -------------------------------------------------------------------------
    error NotAdmin(address caller);
    error ZeroAddress();
    error InvalidGeohashLength(uint256 length);
    error InvalidGeohashCharacter(uint256 index);
    error NotRegionAuthority(address caller, bytes9 geohash);
    error UnknownVenue(uint64 venueId);
    error NotVenueOperator(uint64 venueId, address caller);
    error KioskAlreadyAuthorized(address kiosk, uint64 venueId);
    error NotAuthorizedKiosk(uint64 venueId, address kiosk);
    error BatchAlreadyCommitted(address kiosk, uint64 seq, uint64 nextSeq);
    error SeqOutOfOrder(address kiosk, uint64 seq, uint64 nextSeq);
    error EmptyBatch();
    error InvalidBatchTimeRange(uint64 fromTime, uint64 toTime);
    error InvalidExposureWindow(uint64 fromTime, uint64 toTime);
    error ExposureWindowExpired(uint64 toTime, uint64 expiredAt);
    error NotInfected(uint64 venueId);
    error BeaconIdTaken(bytes8 beaconId, address kiosk);
    error InvalidCapacityPolicy(uint32 capacity, uint32 minMinutes);
    error NoCapacityPolicy(uint64 venueId);
    error NotOverCapacity(uint64 venueId, uint32 occupancy, uint32 capacity);
    error StillOverCapacity(uint64 venueId, uint32 occupancy, uint32 capacity);
    error CrossingTooShort(uint64 since, uint64 at, uint32 minMinutes);
    error InvalidCrossingTime(uint64 since, uint64 at);
    error AlreadyOverCapacity(uint64 venueId, uint64 since);
    error NotReportedOverCapacity(uint64 venueId);

    // ---- events -------------------------------------------------------------------------
    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);
    event RegionAuthorityRegistered(bytes9 indexed prefix, address indexed authority, address indexed registeredBy);
    event VenueRegistered(
        uint64 indexed venueId, bytes9 indexed region, address indexed operator, bytes9 geohash, bytes32 metadataHash
    );
    event KioskAuthorized(uint64 indexed venueId, address indexed kiosk, uint64 nextSeq);
    event KioskRevoked(uint64 indexed venueId, address indexed kiosk);
    event BatchCommitted(
        uint64 indexed venueId,
        address indexed kiosk,
        uint64 seq,
        bytes32 merkleRoot,
        uint32 count,
        uint64 fromTime,
        uint64 toTime
    );
    event ExposureReported(
        uint64 indexed venueId, address indexed authority, uint64 fromTime, uint64 toTime, uint64 expiresAt
    );
    event StatusChanged(uint64 indexed venueId, Status previous, Status current, Reason reason);
    event BeaconKeySet(uint64 indexed venueId, address indexed kiosk, bytes8 indexed beaconId, bytes32 beaconKey);
    event CapacityPolicySet(uint64 indexed venueId, address indexed setBy, uint32 capacity, uint32 minMinutes);
    /// A kiosk reports its venue above capacity since `since` (over) or back at or below it at
    /// `at` (not over; `since` is then when the crowding began). Times are the kiosk's, Unix s.
    event CapacityCrossed(
        uint64 indexed venueId,
        address indexed kiosk,
        bool over,
        uint32 occupancy,
        uint32 capacity,
        uint64 since,
        uint64 at
    );

    // ---- state --------------------------------------------------------------------------
    address public admin;
    /// Seconds after an exposure window ends until the venue is Clean again on its own.
    uint64 public immutable exposureExpiry;
    uint64 public venueCount;

    /// Region authority per geohash prefix (left-aligned, zero-padded to 9 bytes).
    mapping(bytes9 => address) public regionAuthority;
    mapping(uint64 => Venue) internal venues;
    mapping(address => Kiosk) internal kiosks;
    /// keccak256(abi.encodePacked(kiosk, seq)) => Merkle root: the one slot a batch costs.
    mapping(bytes32 => bytes32) internal batchRoots;
    mapping(uint64 => Capacity) internal capacities;
    /// Ed25519 public key of each kiosk's signed positioning beacons.
    mapping(address => bytes32) public beaconKeyOf;
    /// The 8-byte kiosk id a beacon carries on air (first 8 bytes of SHA-256 of the key).
    mapping(bytes8 => address) public kioskByBeaconId;

    constructor(uint64 exposureExpirySeconds) {
        admin = msg.sender;
        exposureExpiry = exposureExpirySeconds == 0 ? 14 days : exposureExpirySeconds;
        emit AdminTransferred(address(0), msg.sender);
    }

    // ---- admin and regions --------------------------------------------------------------

    function transferAdmin(address newAdmin) external {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        if (newAdmin == address(0)) revert ZeroAddress();
        emit AdminTransferred(admin, newAdmin);
        admin = newAdmin;
    }

    /// The admin, or the authority of a shorter enclosing prefix, sets the authority of
    /// `prefix` (1..8 geohash characters); registering again replaces (rotates) it.
    function registerRegion(string calldata prefix, address authority) external {
        uint256 len = bytes(prefix).length;
        if (len == 0 || len > 8) revert InvalidGeohashLength(len);
        bytes9 key = _toGeohash(prefix);
        if (authority == address(0)) revert ZeroAddress();
        if (msg.sender != admin && _authorityLevel(msg.sender, key, len - 1) == 0) {
            revert NotRegionAuthority(msg.sender, key);
        }
        regionAuthority[key] = authority;
        emit RegionAuthorityRegistered(key, authority, msg.sender);
    }

    // ---- venues -------------------------------------------------------------------------

    /// A region authority registers a venue (a geohash-9 cell) beneath its prefix. Venue ids
    /// count up from 1 in registration order.
    function registerVenue(string calldata geohash, address operator, bytes32 metadataHash)
        external
        returns (uint64 venueId)
    {
        if (bytes(geohash).length != 9) revert InvalidGeohashLength(bytes(geohash).length);
        bytes9 cell = _toGeohash(geohash);
        if (operator == address(0)) revert ZeroAddress();
        uint256 level = _authorityLevel(msg.sender, cell, 8);
        if (level == 0) revert NotRegionAuthority(msg.sender, cell);
        venueId = ++venueCount;
        Venue storage v = venues[venueId];
        v.operator = operator;
        v.geohash = cell;
        v.region = _prefix(cell, level);
        v.metadataHash = metadataHash;
        emit VenueRegistered(venueId, v.region, operator, cell, metadataHash);
    }

    function venueOf(uint64 venueId)
        external
        view
        returns (address operator, bytes9 geohash, bytes9 region, bytes32 metadataHash, bool hasBatches)
    {
        Venue storage v = _venue(venueId);
        return (v.operator, v.geohash, v.region, v.metadataHash, v.hasBatches);
    }

    /// The latest reported exposure window and when the venue was last cleaned (0 = never).
    function exposureOf(uint64 venueId)
        external
        view
        returns (uint64 fromTime, uint64 toTime, uint64 infectedUntil, uint64 cleanedAt)
    {
        Venue storage v = _venue(venueId);
        return (v.exposureFrom, v.exposureTo, v.infectedUntil, v.cleanedAt);
    }

    // ---- kiosks -------------------------------------------------------------------------

    /// The venue's operator authorizes a kiosk; its sequence numbers continue where they
    /// stopped if it served before, so (kiosk, seq) never repeats.
    function authorizeKiosk(uint64 venueId, address kiosk) external {
        _onlyOperator(venueId);
        if (kiosk == address(0)) revert ZeroAddress();
        Kiosk storage k = kiosks[kiosk];
        if (k.active) revert KioskAlreadyAuthorized(kiosk, k.venueId);
        k.venueId = venueId;
        k.active = true;
        k.committed = false;
        emit KioskAuthorized(venueId, kiosk, k.nextSeq);
    }

    function revokeKiosk(uint64 venueId, address kiosk) external {
        _onlyOperator(venueId);
        Kiosk storage k = kiosks[kiosk];
        if (!k.active || k.venueId != venueId) revert NotAuthorizedKiosk(venueId, kiosk);
        k.active = false;
        emit KioskRevoked(venueId, kiosk);
    }

    function isKiosk(uint64 venueId, address kiosk) external view returns (bool) {
        Kiosk storage k = kiosks[kiosk];
        return k.active && k.venueId == venueId;
    }

    /// An authorized kiosk publishes its beacon key, so phones can verify its beacons offline.
    function setBeaconKey(bytes32 beaconKey) external {
        Kiosk memory k = kiosks[msg.sender];
        if (!k.active) revert NotAuthorizedKiosk(k.venueId, msg.sender);
        bytes8 id = bytes8(sha256(abi.encodePacked(beaconKey)));
        address holder = kioskByBeaconId[id];
        if (holder != address(0) && holder != msg.sender) revert BeaconIdTaken(id, holder);
        bytes32 previous = beaconKeyOf[msg.sender];
        if (previous != bytes32(0)) delete kioskByBeaconId[bytes8(sha256(abi.encodePacked(previous)))];
        beaconKeyOf[msg.sender] = beaconKey;
        kioskByBeaconId[id] = msg.sender;
        emit BeaconKeySet(k.venueId, msg.sender, id, beaconKey);
    }

    /// The key, venue and kiosk behind a beacon id; zeros when unknown or the kiosk is revoked.
    function beaconKeyFor(bytes8 beaconId) external view returns (bytes32 key, uint64 venueId, address kiosk) {
        kiosk = kioskByBeaconId[beaconId];
        Kiosk storage k = kiosks[kiosk];
        if (kiosk == address(0) || !k.active) return (bytes32(0), 0, address(0));
        return (beaconKeyOf[kiosk], k.venueId, kiosk);
    }

    function nextSeq(address kiosk) external view returns (uint64) {
        return kiosks[kiosk].nextSeq;
    }

    function batchRoot(address kiosk, uint64 seq) external view returns (bytes32) {
        return batchRoots[keccak256(abi.encodePacked(kiosk, seq))];
    }

    // ---- batches ------------------------------------------------------------------------

    /// An authorized kiosk anchors the Merkle root of `count` records seen between
    /// `fromTime` and `toTime`; `seq` must be exactly its next sequence number.
    function commitBatch(
        uint64 venueId,
        uint64 seq,
        bytes32 merkleRoot,
        uint32 count,
        uint64 fromTime,
        uint64 toTime
    ) external {
        Kiosk memory k = kiosks[msg.sender];
        if (!k.active || k.venueId != venueId) {
            if (venueId == 0 || venueId > venueCount) revert UnknownVenue(venueId);
            revert NotAuthorizedKiosk(venueId, msg.sender);
        }
        if (seq != k.nextSeq) {
            if (seq < k.nextSeq) revert BatchAlreadyCommitted(msg.sender, seq, k.nextSeq);
            revert SeqOutOfOrder(msg.sender, seq, k.nextSeq);
        }
        if (count == 0) revert EmptyBatch();
        if (fromTime > toTime) revert InvalidBatchTimeRange(fromTime, toTime);

        batchRoots[keccak256(abi.encodePacked(msg.sender, seq))] = merkleRoot;
        unchecked {
            kiosks[msg.sender] = Kiosk(venueId, seq + 1, true, true);
        }
        if (!k.committed) _firstBatch(venueId);
        emit BatchCommitted(venueId, msg.sender, seq, merkleRoot, count, fromTime, toTime);
    }

    // ---- exposure status ----------------------------------------------------------------

    /// A region authority above the venue reports that an infected visitor was there during
    /// [fromTime, toTime]. The venue is Infected until `exposureExpiry` after toTime, unless
    /// the window ended before the venue's last cleaning (the event is emitted either way).
    function reportExposure(uint64 venueId, uint64 fromTime, uint64 toTime) external {
        Venue storage v = _venue(venueId);
        if (_authorityLevel(msg.sender, v.geohash, 8) == 0) revert NotRegionAuthority(msg.sender, v.geohash);
        if (fromTime > toTime || toTime > type(uint40).max - exposureExpiry) {
            revert InvalidExposureWindow(fromTime, toTime);
        }
        uint64 expiresAt = toTime + exposureExpiry;
        if (expiresAt <= block.timestamp) revert ExposureWindowExpired(toTime, expiresAt);

        Status before = _settle(venueId, v);
        v.exposureFrom = uint40(fromTime);
        v.exposureTo = uint40(toTime);
        if (toTime >= v.cleanedAt && expiresAt > v.infectedUntil) v.infectedUntil = uint40(expiresAt);
        emit ExposureReported(venueId, msg.sender, fromTime, toTime, expiresAt);
        Status current = _status(v);
        if (current != before) emit StatusChanged(venueId, before, current, Reason.ExposureReported);
    }

    /// The operator declares the venue cleaned: Infected -> Clean now.
    function markCleaned(uint64 venueId) external {
        Venue storage v = _onlyOperator(venueId);
        Status before = _settle(venueId, v);
        if (before != Status.Infected) revert NotInfected(venueId);
        v.infectedUntil = 0;
        v.cleanedAt = uint40(block.timestamp);
        emit StatusChanged(venueId, Status.Infected, _status(v), Reason.Cleaned);
    }

    /// Anyone may record a lapsed exposure (Infected -> Clean by expiry) as an event; the
    /// status itself never needs it, since statusOf evaluates the expiry on read.
    function settle(uint64 venueId) external {
        _settle(venueId, _venue(venueId));
    }

    function statusOf(uint64 venueId) external view returns (Status) {
        return _status(_venue(venueId));
    }

    // ---- capacity ---------------------------------------------------------------------------

    /// Largest policy values accepted: a million people, a day above capacity.
    uint32 internal constant MAX_CAPACITY = 1_000_000;
    uint32 internal constant MAX_MIN_MINUTES = 1440;

    /// The venue's operator or a region authority above it sets the occupancy policy: report
    /// the venue once it has been above `capacity` people for `minMinutes`. (0, 0) removes it.
    function setCapacityPolicy(uint64 venueId, uint32 capacity, uint32 minMinutes) external {
        Venue storage v = _venue(venueId);
        if (v.operator != msg.sender && _authorityLevel(msg.sender, v.geohash, 8) == 0) {
            revert NotVenueOperator(venueId, msg.sender);
        }
        bool off = capacity == 0 && minMinutes == 0;
        if (!off && (capacity == 0 || capacity > MAX_CAPACITY || minMinutes == 0 || minMinutes > MAX_MIN_MINUTES)) {
            revert InvalidCapacityPolicy(capacity, minMinutes);
        }
        Capacity storage c = capacities[venueId];
        c.capacity = capacity;
        c.minMinutes = minMinutes;
        if (off) c.overSince = 0;
        emit CapacityPolicySet(venueId, msg.sender, capacity, minMinutes);
    }

    /// A kiosk of the venue reports it above capacity: `occupancy` people at `at`, above the
    /// capacity without a break since `since`, for at least the policy's minutes.
    function reportOverCapacity(uint64 venueId, uint32 occupancy, uint64 since, uint64 at) external {
        Capacity storage c = _crossing(venueId, since, at);
        if (c.overSince != 0) revert AlreadyOverCapacity(venueId, c.overSince);
        if (occupancy <= c.capacity) revert NotOverCapacity(venueId, occupancy, c.capacity);
        if (at - since < uint64(c.minMinutes) * 60) revert CrossingTooShort(since, at, c.minMinutes);
        c.overSince = uint40(since);
        c.occupancy = occupancy;
        emit CapacityCrossed(venueId, msg.sender, true, occupancy, c.capacity, since, at);
    }

    /// A kiosk of the venue reports the crowding over: `occupancy` people (at or below the
    /// capacity) at `at`.
    function reportCapacityRestored(uint64 venueId, uint32 occupancy, uint64 at) external {
        Capacity storage c = _crossing(venueId, 0, at);
        uint64 since = c.overSince;
        if (since == 0) revert NotReportedOverCapacity(venueId);
        if (at < since) revert InvalidCrossingTime(since, at);
        if (occupancy > c.capacity) revert StillOverCapacity(venueId, occupancy, c.capacity);
        c.overSince = 0;
        c.occupancy = occupancy;
        emit CapacityCrossed(venueId, msg.sender, false, occupancy, c.capacity, since, at);
    }

    /// The venue's occupancy policy (capacity 0 = none) and its reported crowding (overSince 0 = none).
    function capacityOf(uint64 venueId)
        external
        view
        returns (uint32 capacity, uint32 minMinutes, uint64 overSince, uint32 occupancy)
    {
        _venue(venueId);
        Capacity storage c = capacities[venueId];
        return (c.capacity, c.minMinutes, c.overSince, c.occupancy);
    }

    // ---- internals ----------------------------------------------------------------------

    function _status(Venue storage v) internal view returns (Status) {
        if (v.infectedUntil > block.timestamp) return Status.Infected;
        if (v.hasBatches || v.exposureTo != 0) return Status.Clean;
        return Status.Empty;
    }

    /// Emits the Wait-14-days transition once, when a write first touches a lapsed exposure.
    function _settle(uint64 venueId, Venue storage v) internal returns (Status) {
        uint40 until = v.infectedUntil;
        if (until != 0 && until <= block.timestamp) {
            v.infectedUntil = 0;
            emit StatusChanged(venueId, Status.Infected, Status.Clean, Reason.ExposureExpired);
        }
        return _status(v);
    }

    function _firstBatch(uint64 venueId) internal {
        Venue storage v = venues[venueId];
        if (v.hasBatches) return;
        Status before = _status(v);
        v.hasBatches = true;
        if (before == Status.Empty) emit StatusChanged(venueId, Status.Empty, Status.Clean, Reason.FirstBatch);
    }

    /// Checks a crossing report's sender (an active kiosk of the venue), policy and times.
    function _crossing(uint64 venueId, uint64 since, uint64 at) internal view returns (Capacity storage c) {
        Kiosk memory k = kiosks[msg.sender];
        if (!k.active || k.venueId != venueId) {
            _venue(venueId);
            revert NotAuthorizedKiosk(venueId, msg.sender);
        }
        c = capacities[venueId];
        if (c.capacity == 0) revert NoCapacityPolicy(venueId);
        // the kiosk's own (guarded) clock: the registry checks only the order and the range
        if (since > at || at > type(uint40).max) revert InvalidCrossingTime(since, at);
    }

    function _venue(uint64 venueId) internal view returns (Venue storage v) {
        v = venues[venueId];
        if (v.operator == address(0)) revert UnknownVenue(venueId);
    }

    function _onlyOperator(uint64 venueId) internal view returns (Venue storage v) {
        v = _venue(venueId);
        if (v.operator != msg.sender) revert NotVenueOperator(venueId, msg.sender);
    }

    /// The length of the longest prefix of `cell` (at most `maxLen` characters) whose region
    /// authority is `who`, or 0 if none is.
    function _authorityLevel(address who, bytes9 cell, uint256 maxLen) internal view returns (uint256) {
        for (uint256 len = maxLen; len > 0; --len) {
            if (regionAuthority[_prefix(cell, len)] == who) return len;
        }
        return 0;
    }

    function _prefix(bytes9 cell, uint256 len) internal pure returns (bytes9) {
        return cell & bytes9(~(type(uint72).max >> (len * 8)));
    }

    /// Checks the geohash base32 alphabet (0-9, b-z without i, l, o) and left-aligns the
    /// characters into a bytes9.
    function _toGeohash(string calldata s) internal pure returns (bytes9 out) {
        bytes calldata b = bytes(s);
        for (uint256 i = 0; i < b.length; ++i) {
            bytes1 c = b[i];
            bool ok = (c >= "0" && c <= "9") || (c >= "b" && c <= "z" && c != "i" && c != "l" && c != "o");
            if (!ok) revert InvalidGeohashCharacter(i);
            out |= bytes9(c) >> (i * 8);
        }
    }
}
