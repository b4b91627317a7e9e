// SPDX-License-Identifier: MIT
// Baseline only (gas benchmark): S0's city contract, which creates a location contract on
// the first check-in at a geohash and routes later check-ins to it.
pragma solidity ^0.8.24;

import {S0Location} from "./S0Location.sol";

contract S0City {
    error NotParent(address caller);
    error UnknownLocation(string geohash);

    event LocationCreated(string geohash, address location);

    address public immutable parent;
    address public immutable owner;
    string public prefix;
    mapping(string => S0Location) public locations;

    constructor(string memory prefix_, address owner_) {
        parent = msg.sender;
        owner = owner_;
        prefix = prefix_;
    }

    function checkIn(address visitor, uint64 timestamp, string calldata geohash, S0Location.Health health) external {
        if (msg.sender != parent) revert NotParent(msg.sender);
        S0Location loc = locations[geohash];
        if (address(loc) == address(0)) {
            loc = new S0Location(geohash, owner); // GenerateContract
            locations[geohash] = loc;
            emit LocationCreated(geohash, address(loc));
        }
        loc.checkIn(visitor, timestamp, health);
    }

    function reportInfectedVisitor(string calldata geohash) external {
        if (msg.sender != parent) revert NotParent(msg.sender);
        S0Location loc = locations[geohash];
        if (address(loc) == address(0)) revert UnknownLocation(geohash);
        loc.reportInfectedVisitor();
    }

    function locationOf(string calldata geohash) external view returns (address) {
        return address(locations[geohash]);
    }
}
