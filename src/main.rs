fn main() -> std::process::ExitCode {
    bairro::cli::main()
}
