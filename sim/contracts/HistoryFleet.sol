// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The registry calls a simulated fleet makes (WaymarkRegistry's own signatures).
interface IWaymarkRegistry {
    function registerVenue(string calldata geohash, address operator, bytes32 metadataHash) external returns (uint64);
    function authorizeKiosk(uint64 venueId, address kiosk) external;
    function commitBatch(uint64 venueId, uint64 seq, bytes32 merkleRoot, uint32 count, uint64 fromTime, uint64 toTime)
        external;
}

/// One simulated kiosk: an address the registry authorizes like any kiosk key, committing
/// batches as itself (msg.sender) when its fleet asks.
contract HistoryKiosk {
    address private immutable fleet;
    IWaymarkRegistry private immutable registry;
    uint64 public immutable venueId;

    constructor(IWaymarkRegistry registry_, uint64 venueId_) {
        fleet = msg.sender;
        registry = registry_;
        venueId = venueId_;
    }

    function commit(uint64 seq, uint32 count, uint64 fromTime, uint64 toTime) external {
        require(msg.sender == fleet, "not my fleet");
        registry.commitBatch(venueId, seq, keccak256(abi.encodePacked(address(this), seq)), count, fromTime, toTime);
    }
}

/// A simulated fleet that writes a registry's history in bulk: the region authority and the
/// operator of its venues, one HistoryKiosk per venue, and one transaction per round of
/// batches (every kiosk commits its next sequence number).
contract HistoryFleet {
    IWaymarkRegistry public immutable registry;
    address public immutable owner;
    HistoryKiosk[] public kiosks;

    constructor(IWaymarkRegistry registry_) {
        registry = registry_;
        owner = msg.sender;
    }

    function kioskCount() external view returns (uint256) {
        return kiosks.length;
    }

    /// Registers one venue per cell (this contract must be their region's authority) and
    /// authorizes a fresh HistoryKiosk at each.
    function addVenues(string[] calldata cells) external {
        require(msg.sender == owner, "not owner");
        for (uint256 i = 0; i < cells.length; i++) {
            uint64 venueId = registry.registerVenue(cells[i], address(this), bytes32(0));
            HistoryKiosk k = new HistoryKiosk(registry, venueId);
            registry.authorizeKiosk(venueId, address(k));
            kiosks.push(k);
        }
    }

    /// Kiosks [from, to) commit batch `seq` covering [fromTime, toTime], 1..40 records each.
    function commitRound(uint64 seq, uint64 fromTime, uint64 toTime, uint256 from, uint256 to) external {
        require(msg.sender == owner, "not owner");
        for (uint256 i = from; i < to; i++) {
            kiosks[i].commit(seq, uint32(1 + (i * 7 + seq) % 40), fromTime, toTime);
        }
    }
}
