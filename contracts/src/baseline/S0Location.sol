// SPDX-License-Identifier: MIT
// Baseline only (gas benchmark): S0's per-location contract, one storage record per
// check-in and the {Empty, Infected, Clean} state machine evaluated lazily on each request.
pragma solidity ^0.8.24;

contract S0Location {
    enum State {
        Empty,
        Infected,
        Clean
    }

    enum Health {
        Healthy,
        Infected
    }

    struct CheckIn {
        address visitor;
        uint64 timestamp;
        Health health;
    }

    error NotParent(address caller);
    error NotOwner(address caller);

    event CheckedIn(address indexed visitor, uint64 timestamp, Health health, State state);
    event StateChanged(State previous, State current);

    address public immutable parent; // the city contract that created this location
    address public immutable owner; // the location's manager (may mark it cleaned)
    string public geohash;
    State public state;
    uint64 public infectedAt;
    CheckIn[] public checkIns;

    constructor(string memory geohash_, address owner_) {
        parent = msg.sender;
        owner = owner_;
        geohash = geohash_;
        state = State.Empty; // GenerateContract: Null -> Empty
    }

    function checkIn(address visitor, uint64 timestamp, Health health) external {
        if (msg.sender != parent) revert NotParent(msg.sender);
        _wait14Days();
        checkIns.push(CheckIn(visitor, timestamp, health));
        if (health == Health.Infected) {
            _infect(); // InfectedUserCheckin
        } else if (state == State.Empty) {
            _set(State.Clean); // NormalUserCheckin
        }
        emit CheckedIn(visitor, timestamp, health, state);
    }

    /// InfectedUserUpdate: a past visitor is later reported infected.
    function reportInfectedVisitor() external {
        if (msg.sender != parent) revert NotParent(msg.sender);
        _wait14Days();
        _infect();
    }

    /// LocationIsCleaned.
    function markCleaned() external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _wait14Days();
        if (state == State.Infected) _set(State.Clean);
    }

    function checkInCount() external view returns (uint256) {
        return checkIns.length;
    }

    function _infect() internal {
        infectedAt = uint64(block.timestamp);
        if (state != State.Infected) _set(State.Infected);
    }

    /// Wait14Days, evaluated when a request touches the contract.
    function _wait14Days() internal {
        if (state == State.Infected && block.timestamp >= infectedAt + 14 days) _set(State.Clean);
    }

    function _set(State next) internal {
        emit StateChanged(state, next);
        state = next;
    }
}
