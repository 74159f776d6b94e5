fn main() {
    std::process::exit(emergence_lab::cli::main());
}
