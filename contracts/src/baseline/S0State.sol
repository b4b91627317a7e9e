// SPDX-License-Identifier: MIT
// Baseline only (gas benchmark): S0's root (state) contract. Every check-in is one
// transaction here, carrying timestamp, geohash and health status, routed state -> county
// -> city -> location; queries for a location walk the same tree.
pragma solidity ^0.8.24;

import {S0City} from "./S0City.sol";
import {S0County} from "./S0County.sol";
import {S0Location} from "./S0Location.sol";

contract S0State {
    error NotOwner(address caller);
    error UnknownCounty(string prefix);

    event CountyCreated(string prefix, address county);

    address public immutable owner;
    uint256 public immutable countyPrefixLength;
    uint256 public immutable cityPrefixLength;
    mapping(string => S0County) public counties;

    constructor(uint256 countyPrefixLength_, uint256 cityPrefixLength_) {
        owner = msg.sender;
        countyPrefixLength = countyPrefixLength_;
        cityPrefixLength = cityPrefixLength_;
    }

    function addCounty(string calldata countyPrefix) external returns (S0County county) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        county = new S0County(countyPrefix, cityPrefixLength, msg.sender);
        counties[countyPrefix] = county;
        emit CountyCreated(countyPrefix, address(county));
    }

    function checkIn(uint64 timestamp, string calldata geohash, S0Location.Health health) external {
        _county(geohash).checkIn(msg.sender, timestamp, geohash, health);
    }

    /// A health authority reports that a past visitor of `geohash` is infected.
    function reportInfectedVisitor(string calldata geohash) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _county(geohash).reportInfectedVisitor(geohash);
    }

    /// The location contract's address, walking the tree from the top (0 if none yet).
    function locationOf(string calldata geohash) external view returns (address) {
        address city = _county(geohash).cityOf(geohash);
        return city == address(0) ? address(0) : S0City(city).locationOf(geohash);
    }

    function _county(string calldata geohash) internal view returns (S0County county) {
        county = counties[geohash[:countyPrefixLength]];
        if (address(county) == address(0)) revert UnknownCounty(geohash[:countyPrefixLength]);
    }
}
