// SPDX-License-Identifier: MIT
// Baseline only (gas benchmark): S0's county contract, routing check-ins to the city
// contract registered for the geohash's city prefix.
pragma solidity ^0.8.24;

import {S0City} from "./S0City.sol";
import {S0Location} from "./S0Location.sol";

contract S0County {
    error NotParent(address caller);
    error NotOwner(address caller);
    error UnknownCity(string prefix);

    event CityCreated(string prefix, address city);

    address public immutable parent;
    address public immutable owner;
    string public prefix;
    uint256 public immutable cityPrefixLength;
    mapping(string => S0City) public cities;

    constructor(string memory prefix_, uint256 cityPrefixLength_, address owner_) {
        parent = msg.sender;
        owner = owner_;
        prefix = prefix_;
        cityPrefixLength = cityPrefixLength_;
    }

    function addCity(string calldata cityPrefix) external returns (S0City city) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        city = new S0City(cityPrefix, owner);
        cities[cityPrefix] = city;
        emit CityCreated(cityPrefix, address(city));
    }

    function checkIn(address visitor, uint64 timestamp, string calldata geohash, S0Location.Health health) external {
        if (msg.sender != parent) revert NotParent(msg.sender);
        _city(geohash).checkIn(visitor, timestamp, geohash, health);
    }

    function reportInfectedVisitor(string calldata geohash) external {
        if (msg.sender != parent) revert NotParent(msg.sender);
        _city(geohash).reportInfectedVisitor(geohash);
    }

    function cityOf(string calldata geohash) external view returns (address) {
        return address(cities[geohash[:cityPrefixLength]]);
    }

    function _city(string calldata geohash) internal view returns (S0City city) {
        city = cities[geohash[:cityPrefixLength]];
        if (address(city) == address(0)) revert UnknownCity(geohash[:cityPrefixLength]);
    }
}
